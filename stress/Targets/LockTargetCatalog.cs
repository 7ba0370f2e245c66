using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.RedLock;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;
using Coord.Testing;

namespace Coord.Stress.Targets;

/// <summary>
/// Every lock implementation the runner knows, by name. Adding a backend is one entry here: a factory
/// that asks <see cref="StressServers"/> for its server and returns a <see cref="LockTarget"/>.
/// </summary>
public static class LockTargetCatalog
{
    /// <summary>What a factory needs besides servers.</summary>
    /// <param name="KeyPrefix">Prefix for keys, unique per run so runs on shared servers stay apart.</param>
    /// <param name="PeerRetry">RedLock.net's retry interval while waiting.</param>
    /// <param name="Clustered">Use a 3-member cluster where the backend has one (etcd, ZooKeeper), for the kill-the-leader fault.</param>
    /// <param name="Permits">For a semaphore target (<see cref="SemaphoreTargetCatalog"/>): permits per name, the same for every client.</param>
    public sealed record Settings(string KeyPrefix, TimeSpan PeerRetry, bool Clustered = false, int Permits = 1);

    public static TargetCatalog Catalog { get; } = new("lock",
    [
        new("inmemory", false, "Coord InMemoryLock (one store shared by the clients of this process)", (_, _, _) =>
        {
            var store = new InMemoryLockStore(TimeProvider.System);
            return Task.FromResult<LockTarget>(new CoordLockTarget("inmemory", () => new InMemoryLock(new InMemoryLockOptions { Store = store }), [], supportsProcesses: false));
        }),
        new("redis", false, "Coord RedisLock on one Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("redis", () => new RedisLock(new RedisLockOptions { Configuration = redis, KeyPrefix = s.KeyPrefix }), [new RedisCommandCounter(redis)]);
        }),
        new("redlock", false, "Coord RedLockLock over 3 independent Redis masters", async (servers, s, ct) =>
        {
            var masters = await servers.RedisMastersAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("redlock", () => new RedLockLock(new RedLockOptions { Masters = masters.ToList(), KeyPrefix = s.KeyPrefix }), masters.Select(m => (IServerCounter)new RedisCommandCounter(m)).ToArray());
        }),
        new("etcd", false, "Coord EtcdLock on one etcd node", async (servers, s, ct) =>
        {
            var etcd = s.Clustered
                ? (await servers.EtcdClusterAsync(ct).ConfigureAwait(false)).Nodes.Select(n => n.ClientUrl).ToArray()
                : await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("etcd", () => new EtcdLock(new EtcdLockOptions { Endpoints = etcd.ToList(), Prefix = s.KeyPrefix.Replace(':', '/') }), EtcdMessageCounter.For(etcd));
        }),
        new("zookeeper", false, "Coord ZooKeeperLock (ephemeral sequential nodes on one long-lived session per client) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = s.Clustered
                ? (await servers.ZooKeeperEnsembleAsync(ct).ConfigureAwait(false)).ConnectString
                : await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            var root = "/coord-stress/" + s.KeyPrefix.Replace(":", "", StringComparison.Ordinal);
            return new CoordLockTarget("zookeeper", () => new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zooKeeper, Root = root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout }), [new ZooKeeperPacketCounter(zooKeeper)]);
        }),
        new("postgres", false, "Coord PostgresLock (row per name) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var (locks, admin) = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("postgres", () => new PostgresLock(new PostgresLockOptions { ConnectionString = locks }), [new PostgresCommitCounter(admin, StressServers.PostgresDatabase)]);
        }),
        new("http", false, "Coord REST service (child process) over its redis backend on the same Redis server, driven through Coord.Client", async (servers, s, ct) =>
        {
            var redis = await servers.RedisAsync(ct).ConfigureAwait(false);
            return await HttpServiceTarget.StartOnRedisAsync(redis, s.KeyPrefix, [new RedisCommandCounter(redis)], ct).ConfigureAwait(false);
        }),
        new("dlock-redis", true, "DistributedLock.Redis RedisDistributedLock on the same Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisAsync(ct).ConfigureAwait(false);
            return new DistributedLockRedisTarget(redis, s.KeyPrefix, [new RedisCommandCounter(redis)]);
        }),
        new("dlock-postgres", true, "DistributedLock.Postgres PostgresDistributedLock (advisory lock) on the same PostgreSQL server", async (servers, s, ct) =>
        {
            var (locks, admin) = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new DistributedLockPostgresTarget(locks, s.KeyPrefix, [new PostgresCommitCounter(admin, StressServers.PostgresDatabase)]);
        }),
        new("curator", true, "Apache Curator InterProcessMutex (Java driver, a session per client) on the same ZooKeeper", async (servers, s, ct) =>
        {
            var zooKeeper = s.Clustered
                ? (await servers.ZooKeeperEnsembleAsync(ct).ConfigureAwait(false)).ConnectString
                : await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            var root = "/coord-stress/" + s.KeyPrefix.Replace(":", "", StringComparison.Ordinal) + "-curator";
            return await Curator.CuratorTarget.StartAsync(zooKeeper, root, permits: null, [new ZooKeeperPacketCounter(zooKeeper)], ct).ConfigureAwait(false);
        }),
        new("etcd-floor", true, "etcd floor: one Txn put on a reused lease + one Delete per hold, waiters watch their predecessor on one stream (raw gRPC, no library) on the same etcd", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new EtcdFloorTarget(etcd, s.KeyPrefix.Replace(':', '/'), EtcdMessageCounter.For(etcd));
        }),
        new("redlock-net", true, "RedLock.net used directly over the same 3 Redis masters", async (servers, s, ct) =>
        {
            var masters = await servers.RedisMastersAsync(ct).ConfigureAwait(false);
            return new RedLockNetTarget(masters, s.KeyPrefix, s.PeerRetry, masters.Select(m => (IServerCounter)new RedisCommandCounter(m)).ToArray());
        }),
    ]);

    public static IReadOnlyList<string> Names => Catalog.Names;
    public static IReadOnlyList<string> CoordNames => Catalog.CoordNames;
    public static IReadOnlyList<string> PeerNames => Catalog.PeerNames;

    public static string Describe(string name) => Catalog.Describe(name);

    public static Task<LockTarget> CreateAsync(string name, StressServers servers, Settings settings, CancellationToken cancellationToken)
        => Catalog.CreateAsync(name, servers, settings, cancellationToken);
}
