namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real ZooKeeper.</summary>
public sealed class ZooKeeperWorkerIdLeaseTests(ZooKeeperWorkerIdStore store) : WorkerIdLeaseTests<ZooKeeperWorkerIdStore>(store);
