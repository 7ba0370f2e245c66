using Coord.Locks.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>Elections on a 3-member cluster whose leader is killed under contention.</summary>
public sealed class EtcdClusterElectionTests(EtcdClusterFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdClusterFixture>, IAsyncLifetime
{
    private readonly List<LeaderElectionProvider> _clients = [];

    public async Task InitializeAsync()
    {
        foreach (var node in etcd.Cluster.Nodes.Where(n => n.IsPaused))
            node.Resume();
        foreach (var node in etcd.Cluster.Nodes.Where(n => !n.IsRunning))
            await node.StartAgainAsync();
        await etcd.Cluster.FindLeaderAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    [Fact]
    public async Task Killing_the_cluster_leader_under_contention_elects_new_leaders_with_higher_terms_and_never_two_at_once()
    {
        for (var i = 0; i < 3; i++)
            _clients.Add(new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = [.. etcd.Cluster.Nodes.Select(n => n.ClientUrl)], ConnectTimeout = TimeSpan.FromSeconds(10) }));
        await ElectionUnderClusterFault.RunAsync(_clients, $"leader-kill/{Guid.NewGuid():N}", TimeSpan.FromSeconds(8), async () =>
        {
            var leader = await etcd.Cluster.FindLeaderAsync();
            leader.Kill();
            return leader.ClientUrl;
        }, () => etcd.Cluster.FindLeaderAsync(TimeSpan.FromSeconds(60)), output);
    }
}
