using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>One throwaway standalone ZooKeeper per test class, plus a raw client for reaching behind a holder's back.</summary>
public sealed class ZooKeeperServerFixture : IAsyncLifetime
{
    public ZooKeeperNode Server { get; private set; } = null!;
    internal ZooKeeperClient Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ZooKeeperNode.StartAsync();
        Raw = await ConnectAsync();
    }

    internal Task<ZooKeeperClient> ConnectAsync(TimeSpan? sessionTimeout = null)
        => ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = Server.ConnectString, SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10) });

    public async Task DisposeAsync()
    {
        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }
}
