using Coord.Locks.ZooKeeper;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// Apache Curator's LeaderLatch (Java, its own process and session) and Coord's <see cref="ZooKeeperLeaderElection"/> on
/// one election path: they take turns in the order they joined, and each sees the other as the leader.
/// </summary>
public sealed class CuratorLatchInteropTests(ZooKeeperServerFixture zookeeper) : IClassFixture<ZooKeeperServerFixture>
{
    private const string Root = "/coord/interop-elections";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Curator_LeaderLatch_and_Coord_campaigns_take_turns_and_each_sees_the_other_lead()
    {
        var election = $"interop/{Guid.NewGuid():N}";
        await using var coord = new ZooKeeperLeaderElection(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        await using var curator = await CuratorLatchProcess.StartAsync(zookeeper.Server.ConnectString, coord.PathOf(election), TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var observed = coord.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);

        // Curator joins first and leads; Coord sees it lead and cannot.
        await curator.JoinAsync("curator-1");
        Assert.True(await curator.AwaitLeadershipAsync(Long));
        var curatorFirst = await NextAsync(observed);
        Assert.Equal("curator-1", curatorFirst.Value);
        Assert.Equal(curatorFirst, await coord.GetLeaderAsync(election));
        Assert.Null(await coord.TryCampaignAsync(election, "coord-1"));

        // Coord waits in line behind it, and Curator still sees itself lead.
        var campaign = coord.CampaignAsync(election, "coord-1", wait: Long);
        await UntilAsync(async () => (await ZooKeeperLeaderElectionContractTests.LatchNodesAsync(zookeeper.Raw, coord.PathOf(election))).Count == 2);
        Assert.False(campaign.IsCompleted, "Coord was elected while Curator's latch led");
        Assert.Equal("curator-1", await curator.LeaderAsync());

        // Curator leaves: Coord is elected with a higher term, and Curator's next latch sees Coord lead and waits behind it.
        await curator.LeaveAsync();
        await using var coordLeads = await campaign;
        Assert.True(coordLeads.Term > curatorFirst.Term, $"Coord's term {coordLeads.Term} is not above Curator's {curatorFirst.Term}");
        Assert.Equal(new ElectionLeader(election, "coord-1", coordLeads.Term), await NextAsync(observed));

        // A value Coord proclaims is Curator's participant id for the leader. (Before Curator's next latch waits directly
        // behind: a LeaderLatch acts only on its predecessor's deletion, and a data change would use up its watch.)
        await coordLeads.ProclaimAsync("coord-1b");
        Assert.Equal(new ElectionLeader(election, "coord-1b", coordLeads.Term), await NextAsync(observed));
        await curator.JoinAsync("curator-2");
        Assert.Equal("coord-1b", await curator.LeaderAsync());
        Assert.False(await curator.AwaitLeadershipAsync(TimeSpan.FromMilliseconds(500)), "Curator's latch led while Coord's leadership was live");

        // Coord resigns: Curator's waiting latch is elected, with a term above Coord's.
        await coordLeads.ResignAsync();
        Assert.True(await curator.AwaitLeadershipAsync(Long));
        var curatorAgain = await NextAsync(observed);
        Assert.Equal("curator-2", curatorAgain.Value);
        Assert.True(curatorAgain.Term > coordLeads.Term, $"Curator's term {curatorAgain.Term} is not above Coord's {coordLeads.Term}");
        Assert.Equal("curator-2", await curator.LeaderAsync());
        Assert.False(coordLeads.IsLost, "a resigned leadership reported itself lost");
        await curator.LeaveAsync();
    }

    private static async Task<ElectionLeader> NextAsync(IAsyncEnumerator<ElectionLeader> observed)
    {
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(Long), "the observation ended");
        return observed.Current;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20);
        }
    }
}
