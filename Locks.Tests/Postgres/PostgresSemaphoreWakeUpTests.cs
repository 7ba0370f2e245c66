using System.Diagnostics;
using Coord.Locks.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>
/// How permits travel between waiters: one wake-up per freed permit, to the waiter it names; dead waiters
/// and places whose lease ran out passed over; and waits that run out (or are cancelled) as a permit is
/// handed to them neither strand that permit nor lose its fencing token. Providers on one connection string
/// stand for one process; another application name is another process.
/// </summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresSemaphoreWakeUpTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>, IAsyncLifetime
{
    private readonly OwnedClients<PostgresSemaphore> _clients = new();

    private PostgresSemaphore Client(string? process = null, TimeSpan? waiterLease = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(postgres.Server.ConnectionString);
        if (process is not null)
            builder.ApplicationName = process;
        return _clients.Add(new PostgresSemaphore(new PostgresLockOptions { ConnectionString = builder.ConnectionString, WaiterLease = waiterLease ?? TimeSpan.FromSeconds(6) }));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    private Task<long> QueuedAsync(string name) => postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_waiters WHERE name = $1", name);

    private Task<long> HoldersAsync(string name) => postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_holders WHERE name = $1", name);

    private Task WaitForQueuedAsync(string name, long count)
        => PostgresServerFixture.WaitUntilAsync(async () => await QueuedAsync(name) == count, $"{count} queued waiters of semaphore '{name}'");

    [Fact]
    public async Task Only_a_call_that_makes_a_holder_waits_for_the_wal_flush()
    {
        var statements = new PostgresSemaphoreStatements("public", "coord_locks");
        var name = $"flush/{Guid.NewGuid():N}";
        var owner = Client();
        var first = await owner.AcquireAsync(name, 2, ttl: TimeSpan.FromSeconds(30));
        var second = await owner.AcquireAsync(name, 2, ttl: TimeSpan.FromSeconds(30));

        // A place in line (with no listener, so no release serves it), a free that serves nobody, the take of that freed permit, its free.
        var queuer = Guid.NewGuid();
        Assert.Equal((false, "off"), await postgres.CallInTransactionAsync(statements.Acquire, name, queuer, 30_000L, 30_000L, 2, true, true, DBNull.Value));
        Assert.Equal((true, "off"), await postgres.CallInTransactionAsync(statements.Release, name, Guid.ParseExact(first.HolderToken, "N"), DBNull.Value));
        Assert.Equal((true, "on"), await postgres.CallInTransactionAsync(statements.Acquire, name, queuer, 30_000L, 30_000L, 2, true, true, DBNull.Value));
        Assert.Equal((true, "off"), await postgres.CallInTransactionAsync(statements.Release, name, queuer, DBNull.Value));

        // A release that hands its permit to a waiter of another process.
        var third = await owner.AcquireAsync(name, 2, ttl: TimeSpan.FromSeconds(30));
        var waiting = Client("flush-waiter").AcquireAsync(name, 2, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
        await WaitForQueuedAsync(name, 1);
        Assert.Equal((true, "on"), await postgres.CallInTransactionAsync(statements.Release, name, Guid.ParseExact(second.HolderToken, "N"), DBNull.Value));
        await using var handedOn = await waiting;
        Assert.True(handedOn.FencingToken > third.FencingToken);
        await third.ReleaseAsync();
    }

    [Fact]
    public Task Each_freed_permit_wakes_one_waiter_of_24_in_four_other_processes_with_one_notification()
        => AssertEachFreedPermitWakesOneAsync(releaser: "releasing-process", waiter: i => $"waiting-process-{i % 4}", wakeUp: "hand-off/notify");

    [Fact]
    public Task Each_freed_permit_wakes_one_waiter_of_24_in_the_releasing_process_without_a_notification()
        => AssertEachFreedPermitWakesOneAsync(releaser: null, waiter: _ => null, wakeUp: "hand-off/in-process");

    private async Task AssertEachFreedPermitWakesOneAsync(string? releaser, Func<int, string?> waiter, string wakeUp)
    {
        const int maxCount = 3, waiting = 24;
        var name = $"one-per-permit/{Guid.NewGuid():N}";
        var owner = Client(releaser);
        var held = new List<ILockHandle>();
        for (var i = 0; i < maxCount; i++)
            held.Add(await owner.AcquireAsync(name, maxCount, ttl: TimeSpan.FromSeconds(30)));
        // A long place lease: no waiter refreshes its place during the test, so any acquire statement would be a wake-up.
        var waiters = Enumerable.Range(0, waiting).Select(i => Client(waiter(i), TimeSpan.FromSeconds(60))).ToArray();
        var tasks = new Task<ILockHandle>[waiting];
        for (var i = 0; i < waiting; i++)
        {
            tasks[i] = waiters[i].AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
            // One at a time, so arrival order is known.
            await WaitForQueuedAsync(name, i + 1);
        }
        var statementsBefore = waiters.Sum(w => w.Metrics.RequestCount("acquire"));

        using var wakeUps = new PostgresWakeUpCounter();
        // Free one permit, then two at once: each freed permit wakes exactly the next waiter in line.
        await held[0].ReleaseAsync();
        await tasks[0].WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(held[1].ReleaseAsync(), held[2].ReleaseAsync());
        await Task.WhenAll(tasks[1], tasks[2]).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(500);

        output.WriteLine($"wake-ups after three releases: {string.Join(", ", wakeUps.WakeUps)}");
        Assert.Equal(3, tasks.Count(t => t.IsCompleted));
        Assert.Equal([wakeUp, wakeUp, wakeUp], wakeUps.WakeUps);
        Assert.Equal(statementsBefore, waiters.Sum(w => w.Metrics.RequestCount("acquire")));
        Assert.Equal(held.Max(h => h.FencingToken) + 1, tasks[0].Result.FencingToken);
        Assert.Equal(waiting - 3, await QueuedAsync(name));
        // The rest get permits in their turn.
        await Task.WhenAll(tasks.Select(async t => await (await t).DisposeAsync()));
        Assert.Equal(0L, await HoldersAsync(name));
    }

    [Fact]
    public async Task A_waiter_whose_process_was_killed_is_passed_over_at_once()
    {
        var name = $"dead-waiter-process/{Guid.NewGuid():N}";
        var held = await Client().AcquireAsync(name, 1, ttl: TimeSpan.FromSeconds(30));
        // A real process queues first (its place lease, 6 s, and its TTL, 20 s, would both outlast this test's bound)...
        using var process = LockHolderProcess.StartWaiting("postgres-semaphore", postgres.Server.ConnectionString, name, TimeSpan.FromSeconds(20));
        try
        {
            await WaitForQueuedAsync(name, 1);
            // ... then a live waiter of this process behind it.
            var waiting = Client().AcquireAsync(name, 1, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            await WaitForQueuedAsync(name, 2);
            var deadListener = await postgres.ScalarAsync<int>("SELECT listener FROM public.coord_locks_sem_waiters WHERE name = $1 ORDER BY seq LIMIT 1", name);

            process.Kill();
            await process.WaitForExitAsync();
            await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", deadListener) == 0, "the killed process's listener backend to end");
            await held.ReleaseAsync();

            await using var next = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
            // The permit went straight to the live waiter: the dead one was never given a fence.
            Assert.Equal(held.FencingToken + 1, next.FencingToken);
            // Passed over, not removed: only its place lease running out takes a silent waiter's place away.
            Assert.Equal(1L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_waiters WHERE name = $1 AND listener = $2", name, deadListener));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task A_place_whose_lease_ran_out_is_passed_over_and_removed()
    {
        var name = $"place-expired/{Guid.NewGuid():N}";
        // Long place leases: no waiter refreshes its place on a timer during the test.
        var lease = TimeSpan.FromSeconds(60);
        var held = await Client("expiry-holder").AcquireAsync(name, 1, ttl: TimeSpan.FromSeconds(30));
        using var giveUp = new CancellationTokenSource();
        var first = Client("expiry-first", lease).AcquireAsync(name, 1, ttl: lease, cancellationToken: giveUp.Token);
        await WaitForQueuedAsync(name, 1);
        var second = Client("expiry-second", lease).AcquireAsync(name, 1, wait: TimeSpan.FromSeconds(60), ttl: lease);
        await WaitForQueuedAsync(name, 2);
        var firstSeq = await postgres.ScalarAsync<long>("SELECT min(seq) FROM public.coord_locks_sem_waiters WHERE name = $1", name);

        // The first waiter's place lease runs out, as when its process stops refreshing without dying.
        Assert.Equal(1, await postgres.ExecuteAsync("UPDATE public.coord_locks_sem_waiters SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1 AND seq = $2", name, firstSeq));
        await held.ReleaseAsync();

        await using (var secondHeld = await second.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(held.FencingToken + 1, secondHeld.FencingToken);
            Assert.False(first.IsCompleted);
            Assert.Equal(0L, await QueuedAsync(name));
        }
        // Nobody is in line now: the permit the second released is free, not parked on the first.
        Assert.Equal(0L, await HoldersAsync(name));
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }

    [Fact]
    public async Task Tiny_waits_that_run_out_as_permits_are_handed_over_strand_none_and_every_fencing_token_reaches_a_client()
    {
        var name = $"tiny-waits/{Guid.NewGuid():N}";
        var run = await RunTinyWaitsAsync(name, TinyWaits.GiveUp.ByWait);

        // Fences 1..n, each received by exactly one client: none issued to a waiter that then walked away.
        TinyWaits.AssertEveryFenceReachedAClient(run);
        Assert.Equal(1, run.Grants.Min(g => g.Fence));
        Assert.Equal(run.Grants.Max(g => g.Fence), await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks_sem WHERE name = $1", name));
    }

    [Fact]
    public Task Tiny_cancelled_waits_as_permits_are_handed_over_strand_none()
        // A permit handed to a cancelled waiter is given back by its abandon step at once.
        => RunTinyWaitsAsync($"tiny-cancels/{Guid.NewGuid():N}", TinyWaits.GiveUp.ByCancellation);

    /// <summary>
    /// 24 clients on a semaphore of 2, each asking over and over with a wait (or cancellation) of 1–100 ms and
    /// releasing at once, for 4 s; TTLs of 30 s, so a permit stranded on a waiter that gave up is still held
    /// by nobody when the run ends. Asserts never more than 2 at once, and no permit and no place left behind.
    /// </summary>
    private async Task<TinyWaits.Run> RunTinyWaitsAsync(string name, TinyWaits.GiveUp giveUp)
    {
        const int maxCount = 2;
        var ttl = TimeSpan.FromSeconds(30);
        var clients = Enumerable.Range(0, 24).Select(_ => Client()).ToArray();
        var run = await TinyWaits.RunAsync(
            [.. clients.Select(client => (TinyWaits.Acquire)(async (wait, ct) => wait is { } w
                ? await client.TryAcquireAsync(name, maxCount, w, ttl, ct)
                : await client.AcquireAsync(name, maxCount, ttl: ttl, cancellationToken: ct)))],
            maxCount, TimeSpan.FromSeconds(4), giveUp);

        output.WriteLine($"{run.Grants.Count} grants and {run.GaveUp} waits given up");
        Assert.Equal(0, run.Overlaps);
        // Every cancelled wait costs a cancel request (a connection the postmaster forks a process for), so how
        // many grants a cancelling run reaches swings with the machine's load; permits changing hands is the point.
        var enough = giveUp == TinyWaits.GiveUp.ByWait ? clients.Length : maxCount;
        Assert.True(run.Grants.Count > enough, $"only {run.Grants.Count} grants");
        Assert.True(run.GaveUp > 0, "no wait ran out: the test did not exercise giving up");
        // Every client has released what it got: a permit still held now sits on a waiter that had left.
        Assert.Equal(0L, await HoldersAsync(name));
        Assert.Equal(0L, await QueuedAsync(name));
        return run;
    }
}
