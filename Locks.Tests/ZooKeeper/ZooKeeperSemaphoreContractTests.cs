using Coord.Locks.Tests.Contract;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperSemaphoreContractTests(ZooKeeperServerFixture zookeeper) : SemaphoreContractTests, IClassFixture<ZooKeeperServerFixture>
{
    internal const string Root = "/coord/contract-semaphores";

    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
        => Task.FromResult<SemaphoreProvider>(new ZooKeeperSemaphore(Options(zookeeper)));

    internal static ZooKeeperLockOptions Options(ZooKeeperServerFixture zookeeper)
        => new() { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout };

    /// <summary>Deletes the permit's lease with another session, as an operator (or a Curator client's bug) could.</summary>
    protected override async Task TakeAwayAsync(string name, string holderToken)
    {
        var paths = new ZooKeeperSemaphorePaths(Root, name, holderToken);
        var lease = (await zookeeper.Raw.GetChildrenAsync(paths.Leases)).Children.SingleOrDefault(paths.IsOurs);
        Assert.True(lease is not null, $"'{holderToken}' held no permit of '{name}'");
        await zookeeper.Raw.DeleteAsync($"{paths.Leases}/{lease}");
    }

    /// <summary>The line in <c>locks/</c>: the one first in line waits for a free permit, the others for their turn.</summary>
    protected override async Task<int> WaitingAsync(string name)
    {
        try
        {
            return (await zookeeper.Raw.GetChildrenAsync(new ZooKeeperSemaphorePaths(Root, name, "-").Line)).Children.Count;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return 0;
        }
    }

    /// <summary>A permit's TTL is kept by the process that owns its session, so only that process renews it.</summary>
    protected override bool CanRenewFromAnotherClient => false;
}
