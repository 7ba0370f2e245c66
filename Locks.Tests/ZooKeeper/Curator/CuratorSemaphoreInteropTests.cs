using Coord.Locks.ZooKeeper;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// Apache Curator's InterProcessSemaphoreV2 (Java, its own process and session) and Coord's
/// <see cref="ZooKeeperSemaphore"/> on one semaphore: the permits are one pool of N between them.
/// </summary>
public sealed class CuratorSemaphoreInteropTests(ZooKeeperServerFixture zookeeper) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    private const string Root = "/coord/interop-semaphores";
    private readonly List<IAsyncDisposable> _owned = [];

    private async Task<(ZooKeeperSemaphore Coord, CuratorSemaphoreProcess Curator, string Name)> StartBothAsync(int maxCount)
    {
        var name = $"interop/{Guid.NewGuid():N}";
        var options = new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout };
        var coord = new ZooKeeperSemaphore(options);
        _owned.Add(coord);
        // The path a Curator service configures to share Coord's semaphore of this name.
        var path = new ZooKeeperSemaphorePaths(Root, name, "-").Base;
        var curator = await CuratorSemaphoreProcess.StartAsync(zookeeper.Server.ConnectString, path, maxCount, TimeSpan.FromSeconds(10));
        _owned.Add(curator);
        return (coord, curator, name);
    }

    [Fact]
    public async Task Curator_and_Coord_take_turns_on_one_pool_of_N_permits()
    {
        const int maxCount = 2;
        var (coord, curator, name) = await StartBothAsync(maxCount);

        // Curator takes both permits: Coord gets none.
        var c1 = await curator.AcquireAsync(TimeSpan.FromSeconds(10));
        var c2 = await curator.AcquireAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(c1);
        Assert.NotNull(c2);
        Assert.Null(await coord.TryAcquireAsync(name, maxCount));
        Assert.Null(await coord.TryAcquireAsync(name, maxCount, wait: TimeSpan.FromMilliseconds(300)));

        // Curator returns one: Coord's waiter gets it, and Curator's next acquire waits in vain.
        var waiting = coord.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(20));
        await curator.ReleaseAsync(c1);
        await using var coordPermit = await waiting;
        Assert.Null(await curator.AcquireAsync(TimeSpan.FromMilliseconds(500)));

        // Coord releases: Curator gets it; then Coord's try finds both taken again.
        await coordPermit.ReleaseAsync();
        var c3 = await curator.AcquireAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(c3);
        Assert.Null(await coord.TryAcquireAsync(name, maxCount));

        // Curator waiting first in line keeps a later Coord acquire behind it.
        var curatorWaiting = curator.AcquireAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        var coordWaiting = coord.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        await curator.ReleaseAsync(c2);
        var c4 = await curatorWaiting;
        Assert.NotNull(c4);
        Assert.False(coordWaiting.IsCompleted, "Coord got the permit that Curator waited for first");
        await curator.ReleaseAsync(c3);
        await using var afterCurator = await coordWaiting;
        Assert.True(afterCurator.FencingToken > coordPermit.FencingToken);
        await curator.ReleaseAsync(c4);
    }

    [Fact]
    public async Task Curator_and_Coord_under_contention_never_hold_more_than_N_together()
    {
        const int maxCount = 3, coordWorkers = 4, curatorWorkers = 4, rounds = 6;
        var (coord, curator, name) = await StartBothAsync(maxCount);
        var second = new ZooKeeperSemaphore(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _owned.Add(second);
        var section = new OccupancyDetector(maxCount);
        var coordInside = 0;
        var curatorInside = 0;
        var together = 0;
        var grants = new int[2];

        void Entered(ref int side)
        {
            // Enter after the grant is known and leave before the release is sent: a holder is counted for
            // less than it really holds, so any overlap seen is real.
            section.Enter();
            Interlocked.Increment(ref side);
            if (Volatile.Read(ref coordInside) > 0 && Volatile.Read(ref curatorInside) > 0)
                Interlocked.Increment(ref together);
        }

        async Task CoordWorker(ZooKeeperSemaphore client)
        {
            for (var r = 0; r < rounds; r++)
            {
                await using var permit = await client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(10));
                Entered(ref coordInside);
                Interlocked.Increment(ref grants[0]);
                await Task.Delay(25);
                Interlocked.Decrement(ref coordInside);
                section.Leave();
            }
        }

        async Task CuratorWorker()
        {
            for (var r = 0; r < rounds; r++)
            {
                var lease = await curator.AcquireAsync(TimeSpan.FromSeconds(60));
                Assert.NotNull(lease);
                Entered(ref curatorInside);
                Interlocked.Increment(ref grants[1]);
                await Task.Delay(25);
                Interlocked.Decrement(ref curatorInside);
                section.Leave();
                await curator.ReleaseAsync(lease);
            }
        }

        await Task.WhenAll(
            Enumerable.Range(0, coordWorkers).Select(i => Task.Run(() => CoordWorker(i % 2 == 0 ? coord : second)))
                .Concat(Enumerable.Range(0, curatorWorkers).Select(_ => Task.Run(CuratorWorker))));

        Assert.Equal(0, section.Violations);
        Assert.Equal(maxCount, section.MostInside);
        Assert.Equal(coordWorkers * rounds, grants[0]);
        Assert.Equal(curatorWorkers * rounds, grants[1]);
        Assert.True(together > 0, "Coord and Curator never held permits at the same time: they did not share one semaphore");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
            await owned.DisposeAsync();
    }
}
