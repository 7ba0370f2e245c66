using Coord.Locks.Tests.Contract;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperReaderWriterLockContractTests(ZooKeeperServerFixture zookeeper) : ReaderWriterLockContractTests, IClassFixture<ZooKeeperServerFixture>
{
    private const string Root = "/coord/contract-rw";

    protected override Task<ReaderWriterLockProvider> CreateClientCoreAsync()
        => Task.FromResult<ReaderWriterLockProvider>(new ZooKeeperReaderWriterLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout }));

    /// <summary>Deletes the hold's node with another session, as an operator (or a Curator client's bug) could.</summary>
    protected override async Task TakeAwayAsync(string name, string holderToken)
    {
        var paths = new ZooKeeperReaderWriterPaths(Root, name, holderToken);
        var node = (await zookeeper.Raw.GetChildrenAsync(paths.Parent)).Children.SingleOrDefault(paths.IsOurs);
        Assert.True(node is not null, $"'{holderToken}' held nothing of '{name}'");
        await zookeeper.Raw.DeleteAsync(paths.ChildPath(node));
    }

    protected override async Task<int> WaitingAsync(string name)
    {
        try
        {
            var line = ZooKeeperReaderWriterPaths.InLineOrder((await zookeeper.Raw.GetChildrenAsync(ZooKeeperReaderWriterLock.CuratorPathOf(Root, name))).Children);
            return line.Count - ZooKeeperReaderWriterPaths.Holders(line);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return 0;
        }
    }

    /// <summary>A hold's TTL is kept by the process that owns its session, so only that process renews it.</summary>
    protected override bool CanRenewFromAnotherClient => false;

    [Fact]
    public async Task Nodes_are_named_as_Curator_names_them_and_a_lock_of_the_same_name_is_not_in_the_line()
    {
        var name = NewName("layout");
        var client = await CreateClientAsync();
        await using var locks = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        await using var held = await locks.AcquireAsync(name);
        await using var read = await client.TryAcquireReadLockAsync(name);
        Assert.NotNull(read);
        var writer = client.AcquireWriteLockAsync(name, wait: NoHang);
        await UntilWaitingAsync(name, 1);

        var children = (await zookeeper.Raw.GetChildrenAsync(ZooKeeperReaderWriterLock.CuratorPathOf(Root, name))).Children;
        Assert.Equal(3, children.Count);
        var stem = ZooKeeperLockPaths.StemOf(read.HolderToken);
        Assert.Matches(@"^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-__READ__\d{10}$", children.Single(c => c.StartsWith(stem, StringComparison.Ordinal)));
        Assert.Single(children, c => System.Text.RegularExpressions.Regex.IsMatch(c, @"^_c_[0-9a-f-]{36}-__WRIT__\d{10}$"));
        Assert.Single(children, c => c.Contains("-lock-", StringComparison.Ordinal));

        await read.ReleaseAsync();
        await using var write = await writer.WaitAsync(NoHang);
        Assert.True(write.FencingToken > read.FencingToken);
        Assert.False(held.IsLost);
    }
}
