using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;
using Medallion.Threading.Postgres;
using Medallion.Threading.Redis;

namespace Coord.Stress.Targets.ReaderWriter;

/// <summary>
/// Every reader-writer lock implementation the runner knows, by name (the <c>rwlocks</c> command's <c>-b</c>).
/// Adding a Coord backend is one entry: ask <see cref="StressServers"/> for its backend's server and return
/// <c>new CoordReaderWriterTarget(name, () =&gt; &lt;an IReaderWriterLock per client on the server's options&gt;)</c>, as <c>redis</c> does.
/// </summary>
public static class ReaderWriterTargetCatalog
{
    public static PrimitiveCatalog<PrimitiveTarget<IReaderWriterClient>> Catalog { get; } = new("reader-writer lock",
    [
        new("inmemory", false, "Coord InMemoryReaderWriterLock (one store shared by the clients of this process)", (_, _, _) =>
        {
            var store = new InMemoryLockStore(TimeProvider.System);
            return Task.FromResult<PrimitiveTarget<IReaderWriterClient>>(new CoordReaderWriterTarget("inmemory", () => new InMemoryReaderWriterLock(new InMemoryLockOptions { Store = store })));
        }),
        new("redis", false, "Coord RedisReaderWriterLock on one Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisServerAsync(ct).ConfigureAwait(false);
            return new CoordReaderWriterTarget("redis", () => new RedisReaderWriterLock(redis.Options(s.KeyPrefix)));
        }),
        new("postgres", false, "Coord PostgresReaderWriterLock (the semaphore's rows with a shared flag) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordReaderWriterTarget("postgres", () => new PostgresReaderWriterLock(postgres.Options()));
        }),
        new("etcd", false, "Coord EtcdReaderWriterLock (recipes RWMutex layout on long-lived sessions) on one etcd node", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new CoordReaderWriterTarget("etcd", () => new EtcdReaderWriterLock(etcd.Options<EtcdLockOptions>(s.KeyPrefix)));
        }),
        new("zookeeper", false, "Coord ZooKeeperReaderWriterLock (Curator InterProcessReadWriteLock layout, one session per client) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            return new CoordReaderWriterTarget("zookeeper", () => new ZooKeeperReaderWriterLock(zooKeeper.Options(s.KeyPrefix, "-rw")));
        }),
        new("dlock-redis-rw", true, "DistributedLock.Redis RedisDistributedReaderWriterLock (busy-wait) on the same Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisServerAsync(ct).ConfigureAwait(false);
            return new DistributedLockReaderWriterTarget("dlock-redis-rw", "DistributedLock.Redis reader-writer lock", async clientCt =>
            {
                var connection = await redis.ConnectAsync(clientCt).ConfigureAwait(false);
                return new(
                    (name, ttl) => new RedisDistributedReaderWriterLock(s.KeyPrefix + name, connection.GetDatabase(), o => o.Expiry(ttl)),
                    connection);
            });
        }),
        new("dlock-postgres-rw", true, "DistributedLock.Postgres PostgresDistributedReaderWriterLock (advisory lock, no TTL) on the run's PostgreSQL server", async (servers, s, ct) =>
        {
            var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new DistributedLockReaderWriterTarget("dlock-postgres-rw", "DistributedLock.Postgres reader-writer lock", _ => Task.FromResult(
                new DistributedLockReaderWriterTarget.Connection(
                    (name, _) => new PostgresDistributedReaderWriterLock(new PostgresAdvisoryLockKey(s.KeyPrefix + name, allowHashing: true), postgres.ConnectionString),
                    null)));
        }),
        new("curator-rw", true, "Apache Curator InterProcessReadWriteLock (Java driver, a session per client) on the run's ZooKeeper", async (servers, s, ct) =>
            await Curator.CuratorReaderWriterTarget.StartAsync(await servers.ZooKeeperAsync(ct).ConfigureAwait(false), s.KeyPrefix, ct).ConfigureAwait(false)),
    ]);
}
