namespace Coord.Service.Ids;

/// <summary>Ids in issue order, as strings (JSON numbers lose bits above 2^53; UUIDs are text anyway).</summary>
/// <param name="Generator">snowflake, segment, uuid-v4 or uuid-v7.</param>
/// <param name="Tag">The segment tag, for segment ids.</param>
public sealed record IdListResponse(string Generator, string? Tag, IReadOnlyList<string> Ids);
