using Coord.Locks.Tests.Contract;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperLeaderElectionContractTests(ZooKeeperServerFixture zookeeper) : LeaderElectionContractTests, IClassFixture<ZooKeeperServerFixture>
{
    internal const string Root = "/coord/contract-elections";

    protected override Task<LeaderElectionProvider> CreateClientCoreAsync()
        => Task.FromResult<LeaderElectionProvider>(new ZooKeeperLeaderElection(Options(zookeeper.Server.ConnectString)));

    /// <summary>The same root as the elections: a lock and an election of one name share the node and must not see each other.</summary>
    protected override Task<LockProvider> CreateLockClientAsync()
        => Task.FromResult<LockProvider>(new ZooKeeperLock(Options(zookeeper.Server.ConnectString)));

    internal static ZooKeeperLockOptions Options(string connectString)
        => new() { ConnectString = connectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout };

    /// <summary>Deletes the leader's latch node with another session, as an operator could.</summary>
    protected override async Task TakeAwayAsync(string election)
    {
        var parent = $"{Root}/{ZooKeeperLockPaths.EncodeName(election)}";
        var candidates = await LatchNodesAsync(zookeeper.Raw, parent);
        Assert.True(candidates.Count > 0, $"nobody led '{election}'");
        await zookeeper.Raw.DeleteAsync($"{parent}/{candidates[0]}");
    }

    protected override async Task<int> CandidatesAsync(string election)
        => (await LatchNodesAsync(zookeeper.Raw, $"{Root}/{ZooKeeperLockPaths.EncodeName(election)}")).Count;

    /// <summary>The latch nodes under <paramref name="parent"/> in Curator's order (the leader first); none when it does not exist.</summary>
    internal static async Task<List<string>> LatchNodesAsync(ZooKeeperClient raw, string parent)
    {
        try
        {
            return ZooKeeperLockPaths.InQueueOrder((await raw.GetChildrenAsync(parent)).Children, ZooKeeperLockPaths.LatchMarker);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }
}
