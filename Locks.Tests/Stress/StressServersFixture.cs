using Coord.Stress.Servers;

namespace Coord.Locks.Tests.Stress;

/// <summary>The stress runner's own servers, started on first use and shared by one test class, as in a real run.</summary>
public sealed class StressServersFixture : IAsyncLifetime
{
    public StressServers Servers { get; } = new(new StressEndpoints());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Servers.DisposeAsync();
}
