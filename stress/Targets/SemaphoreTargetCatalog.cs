using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;
using Coord.Testing;

namespace Coord.Stress.Targets;

/// <summary>
/// Every semaphore implementation the runner knows, by name (the <c>semaphores</c> command's <c>-b</c>).
/// Adding a Coord backend is one entry: a factory that asks <see cref="StressServers"/> for its server and
/// returns a <see cref="CoordSemaphoreTarget"/> over a function that makes one <see cref="Coord.Locks.ISemaphore"/>
/// per client, with <see cref="LockTargetCatalog.Settings.Permits"/> and the server's counter, as the
/// <c>redis</c> entry does. A peer pairs with its Coord backend in <see cref="Reports.Comparison.SemaphorePairs"/>.
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
            var redis = await servers.RedisAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("redis", () => new RedisSemaphore(new RedisLockOptions { Configuration = redis, KeyPrefix = s.KeyPrefix }), s.Permits, [new RedisCommandCounter(redis)]);
        }),
        new("postgres", false, "Coord PostgresSemaphore (a row per name, one per permit) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var (locks, admin) = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("postgres", () => new PostgresSemaphore(new PostgresLockOptions { ConnectionString = locks }), s.Permits,
                [new PostgresCommitCounter(admin, StressServers.PostgresDatabase)]);
        }),
        new("etcd", false, "Coord EtcdSemaphore (a key per permit on long-lived sessions) on one etcd node", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new CoordSemaphoreTarget("etcd", () => new EtcdSemaphore(new EtcdLockOptions { Endpoints = etcd.ToList(), Prefix = s.KeyPrefix.Replace(':', '/') }), s.Permits,
                EtcdMessageCounter.For(etcd));
        }),
        new("zookeeper", false, "Coord ZooKeeperSemaphore (Curator's InterProcessSemaphoreV2 layout, one session per client) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            var root = "/coord-stress/" + s.KeyPrefix.Replace(":", "", StringComparison.Ordinal) + "-sem";
            return new CoordSemaphoreTarget("zookeeper", () => new ZooKeeperSemaphore(new ZooKeeperLockOptions { ConnectString = zooKeeper, Root = root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout }), s.Permits,
                [new ZooKeeperPacketCounter(zooKeeper)]);
        }),
        new("dlock-redis-sem", true, "DistributedLock.Redis RedisDistributedSemaphore on the same Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisAsync(ct).ConfigureAwait(false);
            return new DistributedLockRedisTarget(redis, s.KeyPrefix, [new RedisCommandCounter(redis)], s.Permits);
        }),
        new("curator-sem", true, "Apache Curator InterProcessSemaphoreV2 (Java driver, a session per client) on the run's ZooKeeper", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            var root = "/coord-stress/" + s.KeyPrefix.Replace(":", "", StringComparison.Ordinal) + "-curator-sem";
            return await Curator.CuratorTarget.StartAsync(zooKeeper, root, s.Permits, [new ZooKeeperPacketCounter(zooKeeper)], ct).ConfigureAwait(false);
        }),
    ]);

    public static IReadOnlyList<string> Names => Catalog.Names;
}
