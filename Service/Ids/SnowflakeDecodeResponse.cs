namespace Coord.Service.Ids;

/// <summary>The fields of a Snowflake id under this service's layout and epoch.</summary>
public sealed record SnowflakeDecodeResponse(string Id, DateTimeOffset Timestamp, long TimestampMs, int WorkerId, int RollbackCounter, int Sequence);
