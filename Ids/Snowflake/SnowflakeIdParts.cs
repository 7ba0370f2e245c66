namespace Coord.Ids.Snowflake;

/// <summary>The fields of a decoded Snowflake id.</summary>
/// <param name="Timestamp">The millisecond the id was issued at, by the issuing generator's clock.</param>
/// <param name="TimestampMs">Milliseconds since the generator's epoch, as stored in the id.</param>
public readonly record struct SnowflakeIdParts(long Id, DateTimeOffset Timestamp, long TimestampMs, int WorkerId, int RollbackCounter, int Sequence);
