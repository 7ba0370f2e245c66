using System.Text.RegularExpressions;
using Coord.Locks.ZooKeeper;
using Coord.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed partial class ZooKeeperSemaphoreTests(ZooKeeperServerFixture zookeeper) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    private const string Root = "/coord/semaphores";
    private readonly List<IAsyncDisposable> _owned = [];

    [GeneratedRegex("^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-max2-lease-[0-9]{10}$")]
    private static partial Regex CoordLeaseName();

    private ZooKeeperLockOptions Options() => new() { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout };

    private ZooKeeperSemaphore NewClient()
    {
        var client = new ZooKeeperSemaphore(Options());
        _owned.Add(client);
        return client;
    }

    [Fact]
    public async Task Permits_are_Curator_style_leases_under_the_encoded_name_and_the_fence_is_the_lease_czxid()
    {
        var name = $"api/{Guid.NewGuid():N}";
        var semaphore = NewClient();
        await using var first = await semaphore.AcquireAsync(name, 2);
        await using var second = await semaphore.AcquireAsync(name, 2);

        var paths = new ZooKeeperSemaphorePaths(Root, name, first.HolderToken);
        Assert.Equal($"{Root}/api%2F{name[4..]}", paths.Base);
        Assert.Equal(paths.Base + "/leases", paths.Leases);
        var leases = (await zookeeper.Raw.GetChildrenAsync(paths.Leases)).Children;
        Assert.Equal(2, leases.Count);
        Assert.All(leases, lease => Assert.Matches(CoordLeaseName(), lease));
        Assert.All(leases, lease => Assert.DoesNotContain(first.HolderToken, lease, StringComparison.Ordinal));
        var ours = Assert.Single(leases, paths.IsOurs);
        var stat = await zookeeper.Raw.ExistsAsync($"{paths.Leases}/{ours}");
        Assert.NotNull(stat);
        Assert.NotEqual(0, stat.EphemeralOwner);
        Assert.Equal(stat.Czxid, first.FencingToken);
        // Granted permits have left the line: the next in line may add its lease.
        Assert.Empty((await zookeeper.Raw.GetChildrenAsync(paths.Line)).Children);
    }

    [Fact]
    public async Task A_lock_and_a_semaphore_of_one_name_live_side_by_side_without_excluding_each_other()
    {
        var name = $"apart/{Guid.NewGuid():N}";
        await using var locks = new ZooKeeperLock(Options());
        var semaphore = NewClient();

        await using (var permit = await semaphore.TryAcquireAsync(name, 1))
        {
            Assert.NotNull(permit);
            await using var held = await locks.TryAcquireAsync(name);
            Assert.NotNull(held);
            Assert.Null(await locks.TryAcquireAsync(name));
            Assert.Null(await semaphore.TryAcquireAsync(name, 1));
        }
        await using var again = await semaphore.TryAcquireAsync(name, 1);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task A_lease_added_by_a_Curator_style_client_takes_a_permit_and_its_line_node_goes_first()
    {
        var name = $"foreign/{Guid.NewGuid():N}";
        var coord = NewClient();
        await using (await coord.AcquireAsync(name, 2))
        {
            // Made the containers the way Coord does.
        }
        var paths = new ZooKeeperSemaphorePaths(Root, name, "-");
        await using var java = await zookeeper.ConnectAsync();
        // Curator's leases carry no count and the host's address as data.
        var foreign = await java.CreateAsync($"{paths.Leases}/_c_{Guid.NewGuid()}-lease-", [127, 0, 0, 1], Coord.Locks.ZooKeeper.Client.ZooKeeperCreateMode.EphemeralSequential);

        await using var mine = await coord.TryAcquireAsync(name, 2);
        Assert.NotNull(mine);
        Assert.Null(await coord.TryAcquireAsync(name, 2, wait: TimeSpan.FromMilliseconds(300)));

        // A Curator client first in line keeps Coord behind it, whatever is free.
        await java.DeleteAsync(foreign.Path);
        var line = await java.CreateAsync($"{paths.Line}/_c_{Guid.NewGuid()}-lock-", [127, 0, 0, 1], Coord.Locks.ZooKeeper.Client.ZooKeeperCreateMode.EphemeralSequential);
        Assert.Null(await coord.TryAcquireAsync(name, 2));
        var waiting = coord.AcquireAsync(name, 2, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        await java.DeleteAsync(line.Path);
        await using var next = await waiting;
        Assert.True(next.FencingToken > foreign.Stat.Czxid);
    }

    [Fact]
    public async Task AddZooKeeperSemaphore_registers_a_keyed_singleton_and_checks_its_options_at_registration()
    {
        var services = new ServiceCollection()
            .AddZooKeeperSemaphore(o => (o.ConnectString, o.Root, o.MinimumSessionTimeout) = (zookeeper.Server.ConnectString, Root, ZooKeeperNode.MinimumSessionTimeout), name: "zk")
            .AddZooKeeperLock(o => o.ConnectString = zookeeper.Server.ConnectString, name: "zk");
        await using (var provider = services.BuildServiceProvider())
        {
            var semaphores = provider.GetRequiredKeyedService<ISemaphore>("zk");
            Assert.IsType<ZooKeeperSemaphore>(semaphores);
            Assert.Same(semaphores, provider.GetRequiredKeyedService<ISemaphore>("zk"));
            Assert.Equal("zookeeper", semaphores.Backend);
            Assert.Null(provider.GetService<ISemaphore>());
            var name = $"di/{Guid.NewGuid():N}";
            await using var permit = await semaphores.AcquireAsync(name, maxCount: 1);
            Assert.Null(await semaphores.TryAcquireAsync(name, maxCount: 1));
        }

        var failing = new ServiceCollection();
        var missing = Assert.ThrowsAny<ArgumentException>(() => failing.AddZooKeeperSemaphore(_ => { }));
        Assert.Contains("ConnectString", missing.Message, StringComparison.Ordinal);
        var root = Assert.ThrowsAny<ArgumentException>(() => failing.AddZooKeeperSemaphore(o => (o.ConnectString, o.Root) = ("127.0.0.1:2181", "/")));
        Assert.Contains("below '/'", root.Message, StringComparison.Ordinal);
        Assert.Empty(failing);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
            await owned.DisposeAsync();
    }
}
