using Coord.Locks.InMemory;
using Coord.Locks.Redis;
using Coord.Stress.Servers;

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
