using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.ZooKeeper;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets.Elections;

/// <summary>
/// Every leader election implementation the runner knows, by name (the <c>elections</c> command's <c>-b</c>).
/// Adding a Coord backend is one entry: ask <see cref="StressServers"/> for its backend's server and return
/// <c>new CoordElectionTarget(name, () =&gt; &lt;an ILeaderElection per candidate on the server's options&gt;)</c>, as <c>etcd</c> does.
/// </summary>
public static class ElectionTargetCatalog
{
    public static PrimitiveCatalog<PrimitiveTarget<IElectionCandidate>> Catalog { get; } = new("election",
    [
        new("inmemory", false, "Coord InMemoryLeaderElection (one store shared by the candidates of this process)", (_, _, _) =>
        {
            var store = new InMemoryLockStore(TimeProvider.System);
            return Task.FromResult<PrimitiveTarget<IElectionCandidate>>(new CoordElectionTarget("inmemory", () => new InMemoryLeaderElection(new InMemoryLockOptions { Store = store })));
        }),
        new("etcd", false, "Coord EtcdLeaderElection (concurrency.Election layout) on one etcd node", async (servers, s, ct) =>
        {
            var etcd = await servers.EtcdAsync(ct).ConfigureAwait(false);
            return new CoordElectionTarget("etcd", () => new EtcdLeaderElection(etcd.Options<EtcdLeaderElectionOptions>(s.KeyPrefix, "election/")));
        }),
        new("redis", false, "Coord RedisLeaderElection (the semaphore's scripts, one holder) on one Redis server", async (servers, s, ct) =>
        {
            var redis = await servers.RedisServerAsync(ct).ConfigureAwait(false);
            return new CoordElectionTarget("redis", () => new RedisLeaderElection(redis.Options(s.KeyPrefix)));
        }),
        new("postgres", false, "Coord PostgresLeaderElection (the semaphore's rows, one holder) on one PostgreSQL server", async (servers, s, ct) =>
        {
            var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
            return new CoordElectionTarget("postgres", () => new PostgresLeaderElection(postgres.Options()));
        }),
        new("zookeeper", false, "Coord ZooKeeperLeaderElection (Curator LeaderLatch layout, one session per candidate) on one ZooKeeper node", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            return new CoordElectionTarget("zookeeper", () => new ZooKeeperLeaderElection(zooKeeper.Options(s.KeyPrefix, "-election")));
        }),
        new("curator-latch", true, "Apache Curator LeaderLatch (Java driver, a session per candidate; no term: the driver counts leaderships) on the run's ZooKeeper", async (servers, s, ct) =>
            await Curator.CuratorLeaderLatchTarget.StartAsync(await servers.ZooKeeperAsync(ct).ConfigureAwait(false), s.KeyPrefix, ct).ConfigureAwait(false)),
    ]);

    /// <summary>
    /// Whether a target's candidates can be spread over worker processes and checked together (<c>--processes</c>, the
    /// kill-leader fault): Coord's backends that have a server. In-memory elections live in one process; Curator's
    /// LeaderLatch has no term (its driver counts the leaderships it saw, per process), so merged terms would say nothing.
    /// </summary>
    public static bool AcrossProcesses(string name) => name != "inmemory" && !Catalog.IsPeer(name);
}
