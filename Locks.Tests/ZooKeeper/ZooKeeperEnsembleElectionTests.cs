using Coord.Locks.ZooKeeper;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>Elections on a 3-member ensemble whose leader is killed under contention.</summary>
public sealed class ZooKeeperEnsembleElectionTests(ZooKeeperEnsembleFixture fixture, ITestOutputHelper output) : IClassFixture<ZooKeeperEnsembleFixture>, IAsyncLifetime
{
    private readonly List<LeaderElectionProvider> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        await fixture.RestartStoppedMembersAsync();
    }

    [Fact]
    public async Task Killing_the_ensemble_leader_under_contention_elects_new_leaders_with_higher_terms_and_never_two_at_once()
    {
        for (var i = 0; i < 3; i++)
        {
            _clients.Add(new ZooKeeperLeaderElection(new ZooKeeperLockOptions
            {
                ConnectString = fixture.Ensemble.ConnectString,
                Root = "/coord/ensemble-elections",
                MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            }));
        }
        await ElectionUnderClusterFault.RunAsync(_clients, $"leader-kill/{Guid.NewGuid():N}", TimeSpan.FromSeconds(8), async () =>
        {
            var leader = await fixture.Ensemble.FindLeaderAsync();
            leader.Kill();
            return leader.ConnectString;
        }, () => fixture.Ensemble.FindLeaderAsync(TimeSpan.FromSeconds(60)), output);
    }
}
