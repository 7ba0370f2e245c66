namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real etcd.</summary>
public sealed class EtcdWorkerIdLeaseTests(EtcdWorkerIdStore store) : WorkerIdLeaseTests<EtcdWorkerIdStore>(store);
