using System.Data.Common;
using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.WorkerIds;
using Coord.Service.Errors;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Ids;

/// <summary>Maps the ID generators' exceptions to problems; null for exceptions that are not theirs.</summary>
public static class IdProblems
{
    /// <summary>The <c>code</c> of a 404 for an unknown tag that dev mode will not make because its limit is reached.</summary>
    public const string TagLimitReached = "tag_limit_reached";

    public static ProblemDetails? Map(Exception exception) => exception switch
    {
        SegmentTagNotFoundException missing => Problems.Details(StatusCodes.Status404NotFound, ProblemCodes.UnknownTag,
            $"Segment tag '{missing.Tag}' does not exist in {missing.Store}. Tags are made on first use only in dev mode (no Coord:Ids:Segment:PostgresStore); " +
            "here, insert a row for it (biz_tag, max_id, step), or set Coord:Ids:Segment:AutoCreateTags=true."),
        SegmentTagLimitReachedException limit => Problems.Details(StatusCodes.Status404NotFound, TagLimitReached,
            $"Segment tag '{limit.Tag}' does not exist, and this instance has already made its limit of {limit.Limit} tags on first use " +
            "(Coord:Ids:Segment:MaxAutoCreatedTags), so it makes no more. Use one of the tags already made, raise the limit, or configure " +
            "Coord:Ids:Segment:PostgresStore and insert a row per tag."),
        SegmentUnavailableException unavailable => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, unavailable.Message),
        ClockMovedBackwardsException clock => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, clock.Message),
        ClockBehindStoredTimestampException clock => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, clock.Message),
        WorkerIdsExhaustedException exhausted => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, exhausted.Message),
        WorkerIdStoreUnavailableException store => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable,
            $"{store.Message} The service log has the full error."),
        // Leasing a worker id or loading a segment from a database that does not answer.
        DbException db => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, $"The ID store did not answer: {db.Message}"),
        TimeoutException timeout => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, timeout.Message),
        _ => null,
    };
}
