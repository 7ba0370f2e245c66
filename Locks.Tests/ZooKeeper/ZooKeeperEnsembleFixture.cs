using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>One 3-member ensemble per test class; each test leaves every member running again.</summary>
public sealed class ZooKeeperEnsembleFixture : IAsyncLifetime
{
    public ZooKeeperEnsemble Ensemble { get; private set; } = null!;

    public async Task InitializeAsync() => Ensemble = await ZooKeeperEnsemble.StartAsync(3);

    public async Task RestartStoppedMembersAsync()
    {
        foreach (var node in Ensemble.Nodes.Where(n => !n.IsRunning))
            await node.StartAgainAsync();
        await Ensemble.FindLeaderAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync() => await Ensemble.DisposeAsync();
}
