namespace Coord.Locks.Tests.Contract;

/// <summary>
/// The reader-writer lock contract, run once per backend: a backend is done when its subclass passes all of it.
/// Each test uses a fresh name; separate clients (providers with their own connections) stand in for
/// separate processes.
/// </summary>
public abstract partial class ReaderWriterLockContractTests : HoldContractTests<ReaderWriterLockProvider>
{
    /// <summary>
    /// A lease longer than any test runs: a waiter behind such holders re-checks only after the test would have
    /// failed (a backend whose waiters look again sooner raises its re-check interval in its subclass).
    /// </summary>
    protected static readonly TimeSpan LongerThanTheTest = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Readers_share_a_name_and_a_writer_waits_until_the_last_one_leaves()
    {
        var name = NewName("share");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var readers = new List<ILockHandle>();
        for (var i = 0; i < 4; i++)
        {
            var read = await (i % 2 == 0 ? a : b).TryAcquireReadLockAsync(name);
            Assert.True(read is not null, $"reader {i + 1} was refused while only readers held the name");
            readers.Add(read);
        }
        for (var i = 1; i < readers.Count; i++)
            Assert.True(readers[i].FencingToken > readers[i - 1].FencingToken, "fences of successive read grants must rise");

        Assert.Null(await a.TryAcquireWriteLockAsync(name));
        for (var i = 0; i < readers.Count - 1; i++)
        {
            await readers[i].ReleaseAsync();
            Assert.Null(await b.TryAcquireWriteLockAsync(name));
        }
        await readers[^1].ReleaseAsync();
        await using var write = await b.TryAcquireWriteLockAsync(name);
        Assert.NotNull(write);
        Assert.True(write.FencingToken > readers[^1].FencingToken);
        Assert.All(readers, r => Assert.False(r.IsLost));
    }

    [Fact]
    public async Task A_writer_keeps_out_readers_and_writers_of_every_client()
    {
        var name = NewName("exclusive");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var write = await a.AcquireWriteLockAsync(name);

        Assert.Null(await a.TryAcquireReadLockAsync(name));
        Assert.Null(await b.TryAcquireReadLockAsync(name));
        Assert.Null(await a.TryAcquireWriteLockAsync(name));
        Assert.Null(await b.TryAcquireWriteLockAsync(name, wait: TimeSpan.FromMilliseconds(200)));
        Assert.Null(await b.TryAcquireReadLockAsync(name, wait: TimeSpan.FromMilliseconds(200)));

        await write.ReleaseAsync();
        await using var first = await a.TryAcquireReadLockAsync(name);
        await using var second = await b.TryAcquireReadLockAsync(name);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.True(first.FencingToken > write.FencingToken && second.FencingToken > first.FencingToken);
    }

    [Fact]
    public async Task Under_contention_a_writer_is_always_alone_readers_overlap_and_every_grant_has_its_own_rising_fence()
    {
        const int clientCount = 4, readerWorkers = 8, writerWorkers = 4, rounds = 4;
        var name = NewName("contention");
        var clients = new ReaderWriterLockProvider[clientCount];
        for (var i = 0; i < clientCount; i++)
            clients[i] = await CreateClientAsync();

        var section = new ReaderWriterDetector();
        var fences = new List<long>();

        async Task Work(ReaderWriterLockProvider client, bool writer)
        {
            var last = long.MinValue;
            for (var r = 0; r < rounds; r++)
            {
                await using var hold = writer
                    ? await client.AcquireWriteLockAsync(name, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(10))
                    : await client.AcquireReadLockAsync(name, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(10));
                if (writer)
                    section.EnterWrite();
                else
                    section.EnterRead();
                Assert.True(hold.FencingToken > last, $"a worker's fence {hold.FencingToken} is not above its previous {last}");
                last = hold.FencingToken;
                lock (fences)
                    fences.Add(hold.FencingToken);
                // Stay inside long enough that a holder beside a writer would be seen.
                await Task.Delay(15);
                if (writer)
                    section.LeaveWrite();
                else
                    section.LeaveRead();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, readerWorkers + writerWorkers)
            .Select(i => Task.Run(() => Work(clients[i % clientCount], writer: i % 3 == 2))));

        Assert.Equal(0, section.Violations);
        Assert.True(section.MostReadersInside > 1, "readers never shared the name");
        Assert.Equal((readerWorkers + writerWorkers) * rounds, fences.Distinct().Count());
    }

    [Fact]
    public async Task A_waiting_writer_holds_back_readers_that_arrive_after_it()
    {
        var name = NewName("no-starve");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var reading = await a.AcquireReadLockAsync(name, ttl: TimeSpan.FromSeconds(30));

        var writer = b.AcquireWriteLockAsync(name, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(30));
        await UntilWaitingAsync(name, 1);
        // Readers still hold the name, yet a new reader may not pass the writer waiting for it.
        Assert.Null(await c.TryAcquireReadLockAsync(name));
        Assert.Null(await a.TryAcquireReadLockAsync(name, wait: TimeSpan.FromMilliseconds(200)));
        var lateReader = c.AcquireReadLockAsync(name, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(30));
        await UntilWaitingAsync(name, 2);

        await reading.ReleaseAsync();
        var write = await writer.WaitAsync(NoHang);
        await UntilWaitingAsync(name, 1);
        Assert.False(lateReader.IsCompleted, "a reader got in while the writer ahead of it held the name");
        await write.ReleaseAsync();
        await using var late = await lateReader.WaitAsync(NoHang);
        Assert.True(write.FencingToken > reading.FencingToken && late.FencingToken > write.FencingToken,
            $"fences {reading.FencingToken}, {write.FencingToken}, {late.FencingToken} do not rise in grant order");
    }

    [Fact]
    public async Task A_stream_of_overlapping_readers_does_not_starve_a_writer_and_no_later_reader_passes_it()
    {
        const int readerLoops = 4;
        var name = NewName("stream");
        var clients = new ReaderWriterLockProvider[readerLoops + 1];
        for (var i = 0; i < clients.Length; i++)
            clients[i] = await CreateClientAsync();

        var writerQueued = 0;
        var writerGranted = 0;
        var passedTheWriter = 0;
        var readGrants = 0;
        using var stop = new CancellationTokenSource();

        async Task Read(ReaderWriterLockProvider client, int offset)
        {
            await Task.Delay(offset * 10);
            while (!stop.IsCancellationRequested)
            {
                var askedAfterWriterQueued = Volatile.Read(ref writerQueued) == 1;
                await using (await client.AcquireReadLockAsync(name, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(10)))
                {
                    if (askedAfterWriterQueued && Volatile.Read(ref writerGranted) == 0)
                        Interlocked.Increment(ref passedTheWriter);
                    Interlocked.Increment(ref readGrants);
                    // Holds overlap, so the name is never free of readers while the stream runs.
                    await Task.Delay(40);
                }
            }
        }

        var readers = Enumerable.Range(0, readerLoops).Select(i => Task.Run(() => Read(clients[i], i))).ToArray();
        while (Volatile.Read(ref readGrants) < readerLoops * 2)
            await Task.Delay(10);

        var writer = clients[^1].AcquireWriteLockAsync(name, wait: NoHang, ttl: TimeSpan.FromSeconds(10));
        // Before the writer asks nobody waits (readers fit beside readers), so the first waiter seen is the writer.
        var deadline = DateTime.UtcNow + NoHang;
        while (await WaitingAsync(name) == 0 && !writer.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer never joined the line");
            await Task.Delay(5);
        }
        Volatile.Write(ref writerQueued, 1);
        await using (var write = await writer)
        {
            Volatile.Write(ref writerGranted, 1);
            await Task.Delay(40);
        }
        var grantsAtWrite = Volatile.Read(ref readGrants);
        while (Volatile.Read(ref readGrants) < grantsAtWrite + readerLoops)
            await Task.Delay(10);
        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(NoHang);

        Assert.Equal(0, Volatile.Read(ref passedTheWriter));
    }

    [Fact]
    public async Task Readers_and_writers_are_served_in_arrival_order_with_consecutive_readers_let_in_together()
    {
        var name = NewName("fifo");
        var owner = await CreateClientAsync();
        var clients = new ReaderWriterLockProvider[4];
        for (var i = 0; i < clients.Length; i++)
            clients[i] = await CreateClientAsync();
        var first = await owner.AcquireWriteLockAsync(name, ttl: TimeSpan.FromSeconds(30));

        var long30 = TimeSpan.FromSeconds(30);
        var r1 = clients[0].AcquireReadLockAsync(name, wait: NoHang * 2, ttl: long30);
        await UntilWaitingAsync(name, 1);
        var r2 = clients[1].AcquireReadLockAsync(name, wait: NoHang * 2, ttl: long30);
        await UntilWaitingAsync(name, 2);
        var w2 = clients[2].AcquireWriteLockAsync(name, wait: NoHang * 2, ttl: long30);
        await UntilWaitingAsync(name, 3);
        var r3 = clients[3].AcquireReadLockAsync(name, wait: NoHang * 2, ttl: long30);
        await UntilWaitingAsync(name, 4);

        await first.ReleaseAsync();
        // The writer that released asks again at once: it goes to the back, behind everyone waiting.
        Assert.Null(await owner.TryAcquireWriteLockAsync(name));
        Assert.Null(await owner.TryAcquireReadLockAsync(name));
        var read1 = await r1.WaitAsync(NoHang);
        var read2 = await r2.WaitAsync(NoHang);
        await UntilWaitingAsync(name, 2);
        Assert.False(w2.IsCompleted || r3.IsCompleted, "the writer or the reader behind it got in beside the first two readers");

        await read1.ReleaseAsync();
        await UntilWaitingAsync(name, 2);
        Assert.False(w2.IsCompleted, "the writer got in while a reader still held the name");
        await read2.ReleaseAsync();
        var write2 = await w2.WaitAsync(NoHang);
        await UntilWaitingAsync(name, 1);
        Assert.False(r3.IsCompleted, "a reader got in beside the writer");

        await write2.ReleaseAsync();
        await using var read3 = await r3.WaitAsync(NoHang);
        Assert.True(read1.FencingToken > first.FencingToken && read2.FencingToken > read1.FencingToken
            && write2.FencingToken > read2.FencingToken && read3.FencingToken > write2.FencingToken,
            $"fences {first.FencingToken}, {read1.FencingToken}, {read2.FencingToken}, {write2.FencingToken}, {read3.FencingToken} do not rise in grant order");
        Assert.Equal(0, await WaitingAsync(name));
    }

    [Fact]
    public async Task Cancelling_a_waiting_writer_lets_in_the_readers_queued_behind_it()
    {
        var name = NewName("cancel");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        // Leases far longer than the test, so the reader behind can only get in by being let in, not by looking again.
        await using var reading = await a.AcquireReadLockAsync(name, ttl: LongerThanTheTest);

        using var cts = new CancellationTokenSource();
        var writer = b.AcquireWriteLockAsync(name, cancellationToken: cts.Token);
        await UntilWaitingAsync(name, 1);
        var behind = c.AcquireReadLockAsync(name, wait: NoHang * 2, ttl: LongerThanTheTest);
        await UntilWaitingAsync(name, 2);
        Assert.False(behind.IsCompleted);

        await cts.CancelAsync();
        Assert.Same(writer, await Task.WhenAny(writer, Task.Delay(NoHang)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
        // The reader behind the writer shares the name with the reader that still holds it.
        await using var read = await behind.WaitAsync(NoHang);
        Assert.False(reading.IsLost);
        await UntilWaitingAsync(name, 0);
        Assert.Null(await b.TryAcquireWriteLockAsync(name));
    }

    [Fact]
    public async Task A_writer_whose_wait_runs_out_names_the_lock_and_lets_in_the_readers_behind_it()
    {
        var name = NewName("timeout");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        await using var reading = await a.AcquireReadLockAsync(name, ttl: LongerThanTheTest);

        var writer = b.AcquireWriteLockAsync(name, wait: TimeSpan.FromSeconds(2));
        await UntilWaitingAsync(name, 1);
        var behind = c.AcquireReadLockAsync(name, wait: NoHang, ttl: LongerThanTheTest);
        await UntilWaitingAsync(name, 2);

        var ex = await Assert.ThrowsAsync<LockTimeoutException>(() => writer);
        Assert.Equal(name, ex.LockName);
        Assert.Equal(b.Backend, ex.Backend);
        Assert.Equal(TimeSpan.FromSeconds(2), ex.Waited);
        // Let in when the writer left, well before the reader's own wait (or any re-check) ran out.
        await using var read = await behind;
        Assert.Equal(0, await WaitingAsync(name));
        Assert.Null(await b.TryAcquireWriteLockAsync(name, wait: TimeSpan.FromMilliseconds(100)));
        Assert.Equal(0, await WaitingAsync(name));
    }

    [Fact]
    public async Task A_leaked_writer_ends_at_its_TTL_and_the_waiting_readers_get_in()
    {
        var name = NewName("leak");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var leaked = await a.AcquireWriteLockAsync(name, ttl: ShortTtl);
        StoppedRenewals.Of(a, leaked);

        Assert.Null(await b.TryAcquireReadLockAsync(name));
        var first = b.AcquireReadLockAsync(name, wait: ShortTtl * 3 + TimeSpan.FromSeconds(10));
        var second = a.AcquireReadLockAsync(name, wait: ShortTtl * 3 + TimeSpan.FromSeconds(10));
        await using var read1 = await first;
        await using var read2 = await second;
        Assert.True(leaked.IsLost, "the writer that stopped renewing still believes it holds the name");
        Assert.True(read1.FencingToken > leaked.FencingToken && read2.FencingToken > leaked.FencingToken);
        Assert.Null(await b.TryAcquireWriteLockAsync(name));
    }

    [Fact]
    public async Task Lost_fires_for_the_hold_taken_away_and_only_for_it()
    {
        var name = NewName("lost");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var taken = await a.AcquireReadLockAsync(name, ttl: ShortTtl);
        await using var other = await a.AcquireReadLockAsync(name, ttl: ShortTtl);

        await TakeAwayAsync(name, taken.HolderToken);

        var lost = new TaskCompletionSource();
        await using var registration = taken.Lost.Register(() => lost.TrySetResult());
        Assert.Same(lost.Task, await Task.WhenAny(lost.Task, Task.Delay(ShortTtl * 2 + NoHang)));
        Assert.True(taken.IsLost);
        Assert.False(other.IsLost);
        Assert.Null(await b.TryAcquireWriteLockAsync(name));
        await other.ReleaseAsync();

        var write = await b.AcquireWriteLockAsync(name, ttl: ShortTtl);
        await TakeAwayAsync(name, write.HolderToken);
        var writeLost = new TaskCompletionSource();
        await using var writeRegistration = write.Lost.Register(() => writeLost.TrySetResult());
        Assert.Same(writeLost.Task, await Task.WhenAny(writeLost.Task, Task.Delay(ShortTtl * 2 + NoHang)));
        await using var next = await a.TryAcquireReadLockAsync(name);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Only_the_holder_releases_or_renews_a_hold()
    {
        var name = NewName("token");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireWriteLockAsync(name, ttl: TimeSpan.FromSeconds(30));
        var wrong = Guid.NewGuid().ToString("N");

        Assert.False(await b.ReleaseAsync(name, wrong));
        Assert.False(await b.RenewAsync(name, wrong, TimeSpan.FromMilliseconds(50) < b.MinimumTtl ? b.MinimumTtl : TimeSpan.FromMilliseconds(50)));
        Assert.False(await b.ReleaseAsync(NewName("elsewhere"), held.HolderToken));
        Assert.False(await b.RenewAsync(NewName("elsewhere"), held.HolderToken));

        Assert.Null(await b.TryAcquireReadLockAsync(name));
        Assert.False(held.IsLost);
        if (!CanRenewFromAnotherClient)
            await Assert.ThrowsAnyAsync<LockException>(() => b.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(30)));
        Assert.True(await (CanRenewFromAnotherClient ? b : a).RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(30)));
        Assert.True(await b.ReleaseAsync(name, held.HolderToken));
        Assert.False(await b.ReleaseAsync(name, held.HolderToken));
        await using var next = await b.TryAcquireWriteLockAsync(name);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Disposing_a_hold_twice_is_harmless_and_sync_calls_work()
    {
        var name = NewName("dispose");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireWriteLockAsync(name);
        await held.DisposeAsync();
        await held.DisposeAsync();
        await using var next = await b.TryAcquireWriteLockAsync(name);
        Assert.NotNull(next);
        held.Dispose();
        Assert.Null(await a.TryAcquireReadLockAsync(name));
        Assert.False(next.IsLost);
        await next.ReleaseAsync();

        await Task.Run(() =>
        {
            using (var read = a.AcquireReadLock(name, wait: TimeSpan.FromSeconds(10)))
            {
                using var alsoRead = b.TryAcquireReadLock(name);
                Assert.NotNull(alsoRead);
                Assert.Null(b.TryAcquireWriteLock(name));
            }
            using (var write = b.AcquireWriteLock(name, wait: TimeSpan.FromSeconds(5)))
                Assert.Null(a.TryAcquireReadLock(name));
            using var again = a.TryAcquireWriteLock(name, wait: TimeSpan.FromSeconds(5));
            Assert.NotNull(again);
        });
    }
}
