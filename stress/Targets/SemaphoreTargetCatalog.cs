using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// Every semaphore implementation the runner knows, by name (the <c>semaphores</c> command's <c>-b</c>).
/// Adding a Coord backend is one entry: a factory that asks <see cref="StressServers"/> for its backend's server and
/// returns a <see cref="CoordSemaphoreTarget"/> over a function that makes one <see cref="Coord.Locks.ISemaphore"/>
/// per client from the server's options, with <see cref="LockTargetCatalog.Settings.Permits"/> and the server's
/// counters, as the <c>redis</c> entry does. A peer pairs with its Coord backend in <see cref="Reports.Comparison.SemaphorePairs"/>.
/// </summary>
public static class SemaphoreTargetCatalog
{
    public static TargetCatalog Catalog { get; } = new("semaphore",
    [
        new("inmemory", false, "Coord InMemorySemaphore (one store shared by the clients of this process)", (_, s, _) =>
        {
            var store = new InMemoryLockStore(TimeProvider.System);
            return Task.FromResult<LockTarget>(new CoordSemaphoreTarget("inmemory", () => new InMemorySemaphore(new InMemoryLockOptions { Store = store }), s.Permits, [], supportsProcesses: false));
        }),
        new("redis", false, "Coord RedisSemaphore on one Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisServerAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("redis", () => new RedisSemaphore(redis.Options(s.KeyPrefix)), s.Permits, redis.Counters());
        }),
        new("postgres", false, "Coord PostgresSemaphore (a row per name, one per permit) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("postgres", () => new PostgresSemaphore(postgres.Options()), s.Permits, postgres.Counters());
        }),
        new("etcd", false, "Coord EtcdSemaphore (a key per permit on long-lived sessions) on one etcd node", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("etcd", () => new EtcdSemaphore(etcd.Options<EtcdLockOptions>(s.KeyPrefix)), s.Permits, etcd.Counters());
        }),
        new("zookeeper", false, "Coord ZooKeeperSemaphore (Curator's InterProcessSemaphoreV2 layout, one session per client) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("zookeeper", () => new ZooKeeperSemaphore(zooKeeper.Options(s.KeyPrefix, "-sem")), s.Permits, zooKeeper.Counters());
        }),
        new("dlock-redis-sem", true, "DistributedLock.Redis RedisDistributedSemaphore on the same Redis server", async (servers, s, ct) =>
            new DistributedLockRedisTarget(await servers.RedisServerAsync(ct).ConfigureAwait(false), s.KeyPrefix, s.Permits)),
        new("curator-sem", true, "Apache Curator InterProcessSemaphoreV2 (Java driver, a session per client) on the run's ZooKeeper", async (servers, s, ct) =>
            await Curator.CuratorTarget.StartAsync(await servers.ZooKeeperAsync(ct).ConfigureAwait(false), s.KeyPrefix, s.Permits, ct).ConfigureAwait(false)),
    ]);

    public static IReadOnlyList<string> Names => Catalog.Names;
}
