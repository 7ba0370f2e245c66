using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.RedLock;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// Every lock implementation the runner knows, by name. Adding a backend is one entry here: a factory
/// that asks <see cref="StressServers"/> for its backend's server (<see cref="StressRedis"/> and the like, which hand out
/// Coord's options, peers' connections and the server counters) and returns a <see cref="LockTarget"/>.
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
            var redis = await servers.RedisServerAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("redis", () => new RedisLock(redis.Options(s.KeyPrefix)), redis.Counters());
        }),
        new("redlock", false, "Coord RedLockLock over 3 independent Redis masters", async (servers, s, ct) =>
        {
            var masters = await servers.RedLockMastersAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("redlock", () => new RedLockLock(masters.Options(s.KeyPrefix)), masters.Counters());
        }),
        new("etcd", false, "Coord EtcdLock on one etcd node", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(s.Clustered, ct).ConfigureAwait(false);
            return new CoordLockTarget("etcd", () => new EtcdLock(etcd.Options<EtcdLockOptions>(s.KeyPrefix)), etcd.Counters());
        }),
        new("zookeeper", false, "Coord ZooKeeperLock (ephemeral sequential nodes on one long-lived session per client) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(s.Clustered, ct).ConfigureAwait(false);
            return new CoordLockTarget("zookeeper", () => new ZooKeeperLock(zooKeeper.Options(s.KeyPrefix)), zooKeeper.Counters());
        }),
        new("postgres", false, "Coord PostgresLock (row per name) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordLockTarget("postgres", () => new PostgresLock(postgres.Options()), postgres.Counters());
        }),
        new("http", false, "Coord REST service (child process) over its redis backend on the same Redis server, driven through Coord.Client", async (servers, s, ct) =>
            await HttpServiceTarget.StartOnRedisAsync(await servers.RedisServerAsync(ct).ConfigureAwait(false), s.KeyPrefix, ct).ConfigureAwait(false)),
        new("dlock-redis", true, "DistributedLock.Redis RedisDistributedLock on the same Redis server", async (servers, s, ct) =>
            new DistributedLockRedisTarget(await servers.RedisServerAsync(ct).ConfigureAwait(false), s.KeyPrefix)),
        new("dlock-postgres", true, "DistributedLock.Postgres PostgresDistributedLock (advisory lock) on the same PostgreSQL server", async (servers, s, ct) =>
            new DistributedLockPostgresTarget(await servers.PostgresAsync(ct).ConfigureAwait(false), s.KeyPrefix)),
        new("curator", true, "Apache Curator InterProcessMutex (Java driver, a session per client) on the same ZooKeeper", async (servers, s, ct) =>
            await Curator.CuratorTarget.StartAsync(await servers.ZooKeeperAsync(s.Clustered, ct).ConfigureAwait(false), s.KeyPrefix, permits: null, ct).ConfigureAwait(false)),
        new("etcd-floor", true, "etcd floor: one Txn put on a reused lease + one Delete per hold, waiters watch their predecessor on one stream (raw gRPC, no library) on the same etcd", async (servers, s, ct) =>
            new EtcdFloorTarget(await servers.EtcdAsync(ct).ConfigureAwait(false), s.KeyPrefix)),
        new("redis-floor", true, "Redis floor: one SET NX PX + one compare-and-delete script per hold, no fence, renewal or queue (StackExchange.Redis, no library) on the same Redis server; waiters poll every 1 ms", async (servers, s, ct) =>
            new RedisFloorTarget(await servers.RedisServerAsync(ct).ConfigureAwait(false), s.KeyPrefix)),
        new("redlock-net", true, "RedLock.net used directly over the same 3 Redis masters", async (servers, s, ct) =>
            new RedLockNetTarget(await servers.RedLockMastersAsync(ct).ConfigureAwait(false), s.KeyPrefix, s.PeerRetry)),
    ]);

    public static IReadOnlyList<string> Names => Catalog.Names;
    public static IReadOnlyList<string> CoordNames => Catalog.CoordNames;
    public static IReadOnlyList<string> PeerNames => Catalog.PeerNames;

    public static string Describe(string name) => Catalog.Describe(name);

    public static Task<LockTarget> CreateAsync(string name, StressServers servers, Settings settings, CancellationToken cancellationToken)
        => Catalog.CreateAsync(name, servers, settings, cancellationToken);
}
