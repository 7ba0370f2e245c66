using Coord.Locks.ZooKeeper;
using Coord.Testing;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// Apache Curator's InterProcessReadWriteLock (Java, its own process and session) and Coord's
/// <see cref="ZooKeeperReaderWriterLock"/> on one lock: one line of readers and writers between them.
/// </summary>
public sealed class CuratorReaderWriterLockInteropTests(ZooKeeperServerFixture zookeeper) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    private const string Root = "/coord/interop-rw";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(500);
    private readonly List<IAsyncDisposable> _owned = [];

    private ZooKeeperReaderWriterLock NewCoord()
    {
        var coord = new ZooKeeperReaderWriterLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _owned.Add(coord);
        return coord;
    }

    private async Task<(ZooKeeperReaderWriterLock Coord, CuratorSemaphoreProcess Curator, string Name)> StartBothAsync()
    {
        var name = $"interop/{Guid.NewGuid():N}";
        var coord = NewCoord();
        // The path a Curator service configures to share Coord's reader-writer lock of this name.
        var curator = await CuratorSemaphoreProcess.StartAsync(zookeeper.Server.ConnectString, ZooKeeperReaderWriterLock.CuratorPathOf(Root, name), 1, TimeSpan.FromSeconds(10));
        _owned.Add(curator);
        return (coord, curator, name);
    }

    [Fact]
    public async Task A_Curator_writer_keeps_Coord_readers_and_writers_out_and_lets_a_waiting_Coord_reader_in_when_it_leaves()
    {
        var (coord, curator, name) = await StartBothAsync();
        var write = await curator.AcquireWriteLockAsync(Long);
        Assert.NotNull(write);

        Assert.Null(await coord.TryAcquireReadLockAsync(name));
        Assert.Null(await coord.TryAcquireReadLockAsync(name, wait: Short));
        Assert.Null(await coord.TryAcquireWriteLockAsync(name, wait: Short));

        var reader = coord.AcquireReadLockAsync(name, wait: Long);
        await Task.Delay(Short);
        Assert.False(reader.IsCompleted, "a Coord reader got in beside a Curator writer");
        await curator.ReleaseAsync(write);
        await using var read = await reader;
        // Curator readers share the name with Coord's; a Curator writer waits.
        var curatorRead = await curator.AcquireReadLockAsync(Long);
        Assert.NotNull(curatorRead);
        Assert.Null(await curator.AcquireWriteLockAsync(Short));
        await curator.ReleaseAsync(curatorRead);
    }

    [Fact]
    public async Task A_Coord_writer_keeps_Curator_readers_and_writers_out_and_a_waiting_Curator_reader_gets_in_when_it_leaves()
    {
        var (coord, curator, name) = await StartBothAsync();
        var write = await coord.AcquireWriteLockAsync(name);

        Assert.Null(await curator.AcquireReadLockAsync(Short));
        Assert.Null(await curator.AcquireWriteLockAsync(Short));
        var reader = curator.AcquireReadLockAsync(Long);
        await Task.Delay(Short);
        Assert.False(reader.IsCompleted, "a Curator reader got in beside a Coord writer");

        await write.ReleaseAsync();
        var read = await reader;
        Assert.NotNull(read);
        // A Curator reader holds: Coord's writer waits, Coord's reader shares.
        Assert.Null(await coord.TryAcquireWriteLockAsync(name, wait: Short));
        await using (var coordRead = await coord.TryAcquireReadLockAsync(name))
            Assert.NotNull(coordRead);
        await curator.ReleaseAsync(read);
        await using var again = await coord.TryAcquireWriteLockAsync(name, wait: Long);
        Assert.NotNull(again);
        Assert.True(again.FencingToken > write.FencingToken);
    }

    [Fact]
    public async Task A_waiting_Curator_writer_holds_back_Coord_readers_that_arrive_after_it()
    {
        var (coord, curator, name) = await StartBothAsync();
        var reading = await coord.AcquireReadLockAsync(name, ttl: TimeSpan.FromSeconds(30));

        var curatorWriter = curator.AcquireWriteLockAsync(Long);
        await Task.Delay(Short);
        Assert.False(curatorWriter.IsCompleted, "a Curator writer got in beside a Coord reader");
        // Readers still hold the name, yet a Coord reader may not pass the Curator writer waiting for it.
        Assert.Null(await coord.TryAcquireReadLockAsync(name));
        var lateReader = coord.AcquireReadLockAsync(name, wait: Long);

        await reading.ReleaseAsync();
        var write = await curatorWriter;
        Assert.NotNull(write);
        await Task.Delay(Short);
        Assert.False(lateReader.IsCompleted, "a Coord reader got in beside the Curator writer ahead of it");
        await curator.ReleaseAsync(write);
        await using var late = await lateReader;
        Assert.True(late.FencingToken > reading.FencingToken);
    }

    [Fact]
    public async Task Curator_and_Coord_readers_and_writers_under_contention_never_see_a_writer_beside_anyone()
    {
        const int coordWorkers = 4, curatorWorkers = 4, rounds = 5;
        var (coord, curator, name) = await StartBothAsync();
        var second = NewCoord();
        var section = new ReaderWriterDetector();

        // First, that both sides use one lock, or no overlap below could mean anything: with a Coord reader in,
        // a Curator writer is kept out and a Curator reader let in. (Whether readers of the two sides happen to
        // meet under the contention below is timing: on a loaded machine they fell into step and never did.)
        await using (await coord.AcquireReadLockAsync(name, wait: Long, ttl: TimeSpan.FromSeconds(30)))
        {
            Assert.Null(await curator.AcquireWriteLockAsync(Short));
            var curatorRead = await curator.AcquireReadLockAsync(Long);
            Assert.NotNull(curatorRead);
            await curator.ReleaseAsync(curatorRead);
        }

        void Enter(bool writer)
        {
            // Enter after the grant is known and leave before the release is sent: any overlap seen is real.
            if (writer)
            {
                section.EnterWrite();
                return;
            }
            section.EnterRead();
        }

        void Leave(bool writer)
        {
            if (writer)
            {
                section.LeaveWrite();
                return;
            }
            section.LeaveRead();
        }

        async Task CoordWorker(ZooKeeperReaderWriterLock client, bool writer)
        {
            for (var r = 0; r < rounds; r++)
            {
                await using var hold = writer
                    ? await client.AcquireWriteLockAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(10))
                    : await client.AcquireReadLockAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(10));
                Enter(writer);
                await Task.Delay(25);
                Leave(writer);
            }
        }

        async Task CuratorWorker(bool writer)
        {
            for (var r = 0; r < rounds; r++)
            {
                var hold = writer ? await curator.AcquireWriteLockAsync(TimeSpan.FromSeconds(60)) : await curator.AcquireReadLockAsync(TimeSpan.FromSeconds(60));
                Assert.NotNull(hold);
                Enter(writer);
                await Task.Delay(25);
                Leave(writer);
                await curator.ReleaseAsync(hold);
            }
        }

        // One writer of each four workers on each side.
        await Task.WhenAll(
            Enumerable.Range(0, coordWorkers).Select(i => Task.Run(() => CoordWorker(i % 2 == 0 ? coord : second, writer: i == 0)))
                .Concat(Enumerable.Range(0, curatorWorkers).Select(i => Task.Run(() => CuratorWorker(writer: i == 0)))));

        Assert.Equal(0, section.Violations);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
            await owned.DisposeAsync();
    }
}
