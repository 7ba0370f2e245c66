using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets.Elections;

/// <summary>
/// Every leader election implementation the runner knows, by name (the <c>elections</c> command's <c>-b</c>).
/// Adding a Coord backend is one entry: ask <see cref="StressServers"/> for its server and return
/// <c>new CoordElectionTarget(name, () =&gt; &lt;an ILeaderElection per candidate&gt;)</c>, as <c>etcd</c> does.
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
            return new CoordElectionTarget("etcd", () => new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = etcd.ToList(), Prefix = s.KeyPrefix.Replace(':', '/') + "election/" }));
        }),
        new("curator-latch", true, "Apache Curator LeaderLatch (Java driver, a session per candidate; no term: the driver counts leaderships) on the run's ZooKeeper", async (servers, s, ct) =>
        {
            var zooKeeper = await servers.ZooKeeperAsync(ct).ConfigureAwait(false);
            var root = "/coord-stress/" + s.KeyPrefix.Replace(":", "", StringComparison.Ordinal) + "-curator-latch";
            return await Curator.CuratorLeaderLatchTarget.StartAsync(zooKeeper, root, ct).ConfigureAwait(false);
        }),
    ]);
}
