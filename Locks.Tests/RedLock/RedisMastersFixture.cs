using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Locks.Tests.RedLock;

/// <summary>Three independent redis-server masters per test class, plus raw connections to reach behind a holder's back.</summary>
public sealed class RedisMastersFixture : IAsyncLifetime
{
    public RedisMasters Masters { get; private set; } = null!;
    public IReadOnlyList<ConnectionMultiplexer> Raw { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Masters = await RedisMasters.StartAsync(3);
        Raw = await Task.WhenAll(Masters.ConnectionStrings.Select(c => ConnectionMultiplexer.ConnectAsync(c)));
    }

    public async Task DisposeAsync()
    {
        foreach (var raw in Raw)
            await raw.DisposeAsync();
        await Masters.DisposeAsync();
    }
}
