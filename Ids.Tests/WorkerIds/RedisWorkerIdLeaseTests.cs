namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real redis-server.</summary>
public sealed class RedisWorkerIdLeaseTests(RedisWorkerIdStore store) : WorkerIdLeaseTests<RedisWorkerIdStore>(store);
