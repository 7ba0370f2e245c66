namespace Coord.Ids.Snowflake;

/// <summary>The fields of a decoded Snowflake id.</summary>
/// <param name="Id">The id that was decoded.</param>
/// <param name="Timestamp">The millisecond the id was issued at, by the issuing generator's clock.</param>
/// <param name="TimestampMs">Milliseconds since the generator's epoch, as stored in the id.</param>
/// <param name="WorkerId">The worker id of the generator that issued it.</param>
/// <param name="RollbackCounter">The rollback counter value (0 unless the clock went back).</param>
/// <param name="Sequence">Its position among the ids the worker issued in that millisecond.</param>
public readonly record struct SnowflakeIdParts(long Id, DateTimeOffset Timestamp, long TimestampMs, int WorkerId, int RollbackCounter, int Sequence);
