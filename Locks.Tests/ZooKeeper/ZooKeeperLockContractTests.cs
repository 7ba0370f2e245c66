using Coord.Locks.Tests.Contract;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperLockContractTests(ZooKeeperServerFixture zookeeper) : LockContractTests, IClassFixture<ZooKeeperServerFixture>
{
    internal const string Root = "/coord/contract";

    protected override Task<LockProvider> CreateClientCoreAsync()
        => Task.FromResult<LockProvider>(new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout }));

    /// <summary>Deletes the holder's node with another session, as an operator (or a Curator client's bug) could.</summary>
    protected override async Task TakeAwayAsync(string name)
    {
        var parent = $"{Root}/{ZooKeeperLockPaths.EncodeName(name)}";
        var queue = ZooKeeperLockPaths.InQueueOrder((await zookeeper.Raw.GetChildrenAsync(parent)).Children);
        Assert.True(queue.Count > 0, $"nobody held '{name}'");
        await zookeeper.Raw.DeleteAsync($"{parent}/{queue[0]}");
    }

    /// <summary>A bare lease's TTL is kept by the process that owns its session, so only that process renews it.</summary>
    protected override bool CanRenewFromAnotherClient => false;

    // create2 + getChildren2 and a getData watch on the predecessor; the release's mark needs no second read.
    protected override int MaxAcquireRequestsPerWait => 3;
}
