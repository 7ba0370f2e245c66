using System.Data.Common;
using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Service.Errors;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Ids;

/// <summary>Maps the ID generators' exceptions to problems; null for exceptions that are not theirs.</summary>
public static class IdProblems
{
    public static ProblemDetails? Map(Exception exception) => exception switch
    {
        SegmentTagNotFoundException missing => Problems.Details(StatusCodes.Status404NotFound, ProblemCodes.UnknownTag, missing.Message),
        SegmentUnavailableException unavailable => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, unavailable.Message),
        ClockMovedBackwardsException clock => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, clock.Message),
        ClockBehindStoredTimestampException clock => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, clock.Message),
        // Leasing a worker id or loading a segment from a database that does not answer.
        DbException db => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, $"The ID store did not answer: {db.Message}"),
        TimeoutException timeout => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.IdsUnavailable, timeout.Message),
        _ => null,
    };
}
