using System.Collections.Concurrent;
using System.Diagnostics;
using Coord.Locks.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>
/// How waiters are woken: one LISTEN connection per process and connection string, open only while the
/// process waits; one wake-up per hand-off, to the waiter it names; dead waiters passed over; and waits
/// that run out (or are cancelled) during a hand-off neither park the lock nor lose a fencing token.
/// Providers on one connection string stand for one process; another connection string is another process.
/// </summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLockWakeUpTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>, IAsyncLifetime
{
    private const string CountListeners = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coord-lock-listener'";

    private readonly PostgresClients _clients = new(postgres.Server);

    private PostgresLock Client(string? process = null, TimeSpan? waiterLease = null)
        => _clients.Create(
            b => b.ApplicationName = process ?? b.ApplicationName,
            o => o.WaiterLease = waiterLease ?? o.WaiterLease);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    [Fact]
    public Task One_release_with_32_waiters_on_32_providers_of_one_process_wakes_one_in_process_over_one_listener()
        // The next holder waits in the releaser's process: woken there, with no NOTIFY at all.
        => AssertOneReleaseWakesOneAsync(releaser: null, waiter: _ => null, listeners: 1, wakeUp: "hand-off/in-process");

    [Fact]
    public Task One_release_with_32_waiters_in_four_other_processes_delivers_one_notification()
        // One NOTIFY, on the channel of the head's process only: the other three listeners receive nothing.
        => AssertOneReleaseWakesOneAsync(releaser: "releasing-process", waiter: i => $"waiting-process-{i % 4}", listeners: 4, wakeUp: "hand-off/notify");

    private async Task AssertOneReleaseWakesOneAsync(string? releaser, Func<int, string?> waiter, long listeners, string wakeUp)
    {
        var name = $"one-release/{Guid.NewGuid():N}";
        var held = await Client(releaser).AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // A long place lease: no waiter refreshes its place during the test, so any statement would be a wake-up.
        var waiters = Enumerable.Range(0, 32).Select(i => Client(waiter(i), TimeSpan.FromSeconds(60))).ToArray();
        var tasks = waiters.Select(w => w.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30))).ToArray();
        await postgres.WaitForQueuedAsync(name, 32);
        Assert.Equal(listeners, await postgres.ScalarAsync<long>(CountListeners));
        var statementsBefore = waiters.Sum(w => w.Metrics.RequestCount("acquire"));

        using var wakeUps = new PostgresWakeUpCounter();
        await held.ReleaseAsync();
        var first = await await Task.WhenAny(tasks);
        await Task.Delay(500);

        output.WriteLine($"wake-ups after one release: {string.Join(", ", wakeUps.WakeUps)}");
        Assert.Equal(1, tasks.Count(t => t.IsCompleted));
        Assert.Equal(held.FencingToken + 1, first.FencingToken);
        Assert.Equal([wakeUp], wakeUps.WakeUps);
        Assert.Equal(statementsBefore, waiters.Sum(w => w.Metrics.RequestCount("acquire")));
        // The rest get the lock one after another.
        await Task.WhenAll(tasks.Select(async t => await (await t).DisposeAsync()));
    }

    [Fact]
    public async Task The_listener_connection_exists_only_while_the_process_waits()
    {
        var name = $"idle/{Guid.NewGuid():N}";
        var holder = Client();
        var waiter = Client();
        await using var held = await holder.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        await using (var free = await waiter.AcquireAsync($"{name}/free"))
            Assert.Equal(0L, await postgres.ScalarAsync<long>(CountListeners)); // nobody waited: no listener

        var waiting = waiter.TryAcquireAsync(name, wait: TimeSpan.FromSeconds(3));
        await postgres.WaitForQueuedAsync(name, 1);
        Assert.Equal(1L, await postgres.ScalarAsync<long>(CountListeners));
        Assert.Null(await waiting);

        await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<long>(CountListeners) == 0, "the listener to close once nobody waits");
        // And it comes back for the next wait.
        var again = waiter.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        await postgres.WaitForQueuedAsync(name, 1);
        Assert.Equal(1L, await postgres.ScalarAsync<long>(CountListeners));
        await held.ReleaseAsync();
        await using var next = await again;
        Assert.Equal(held.FencingToken + 1, next.FencingToken);
    }

    [Fact]
    public async Task A_waiter_whose_process_was_killed_is_passed_over_at_once()
    {
        var name = $"dead-waiter-process/{Guid.NewGuid():N}";
        var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // A real process queues first (its place lease, 6 s, and its TTL, 20 s, would both outlast this test's bound)...
        using var process = LockHolderProcess.StartWaiting("postgres", postgres.Server.ConnectionString, name, TimeSpan.FromSeconds(20));
        try
        {
            await postgres.WaitForQueuedAsync(name, 1);
            // ... then a live waiter of this process behind it.
            var waiting = Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            await postgres.WaitForQueuedAsync(name, 2);
            var deadListener = await postgres.ScalarAsync<int>("SELECT listener FROM public.coord_locks_waiters WHERE name = $1 ORDER BY seq LIMIT 1", name);

            process.Kill();
            await process.WaitForExitAsync();
            await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", deadListener) == 0, "the killed process's listener backend to end");
            var released = Stopwatch.StartNew();
            await held.ReleaseAsync();

            await using var next = await waiting;
            output.WriteLine($"the live waiter held the lock {released.ElapsedMilliseconds} ms after the release");
            // The hand-off went straight to the live waiter: the dead one was never given a fence.
            Assert.Equal(held.FencingToken + 1, next.FencingToken);
            // Passed over, not removed: only its place lease running out takes a silent waiter's place away.
            Assert.Equal(1L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = $1 AND listener = $2", name, deadListener));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task A_waiter_whose_listener_was_gone_during_a_release_keeps_its_place_in_line()
    {
        var name = $"relisten-place/{Guid.NewGuid():N}";
        var holder = await Client("place-holder").AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // Long place leases: nobody refreshes on a timer during the test, and no place runs out.
        var first = Client("place-first", TimeSpan.FromSeconds(60));
        var firstWaiting = first.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
        await postgres.WaitForQueuedAsync(name, 1);
        var second = Client("place-second", TimeSpan.FromSeconds(60));
        var secondWaiting = second.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
        await postgres.WaitForQueuedAsync(name, 2);
        var firstToken = await postgres.ScalarAsync<Guid>("SELECT waiter FROM public.coord_locks_waiters WHERE name = $1 ORDER BY seq LIMIT 1", name);
        var firstListener = await postgres.ScalarAsync<int>("SELECT listener FROM public.coord_locks_waiters WHERE name = $1 AND waiter = $2", name, firstToken);

        // The first waiter's listener is gone as far as the server can tell (pid 1 is never a backend), as
        // between a listener's connection dying and the waiter naming its new one: a release passes it over...
        await postgres.ExecuteAsync("UPDATE public.coord_locks_waiters SET listener = 1 WHERE name = $1 AND waiter = $2", name, firstToken);
        await holder.ReleaseAsync();
        Task<ILockHandle> later;
        await using (var secondHeld = await secondWaiting)
        {
            Assert.Equal(holder.FencingToken + 1, secondHeld.FencingToken);
            Assert.False(firstWaiting.IsCompleted);
            // ... but keeps its place, ahead of a waiter that comes later.
            Assert.Equal(1L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = $1 AND waiter = $2", name, firstToken));
            later = Client("place-later", TimeSpan.FromSeconds(60)).AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
            await postgres.WaitForQueuedAsync(name, 2);

            // Its listener's connection really ends; the reconnect wakes the waiter to name the new one in its place.
            Assert.True(await postgres.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", firstListener));
            await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<int>(
                "SELECT COALESCE(listener, 0) FROM public.coord_locks_waiters WHERE name = $1 AND waiter = $2", name, firstToken) is not (1 or 0) and var pid && pid != firstListener,
                "the first waiter to name its new listener");
            Assert.False(later.IsCompleted);
        }
        await using (var firstHeld = await firstWaiting)
        {
            Assert.Equal(holder.FencingToken + 2, firstHeld.FencingToken);
            Assert.False(later.IsCompleted);
        }
        await using var laterHeld = await later;
        Assert.Equal(holder.FencingToken + 3, laterHeld.FencingToken);
    }

    [Fact]
    public async Task A_process_passes_the_lock_to_its_own_waiters_at_most_the_shared_bound_of_times_past_an_older_waiter_of_another_process()
    {
        var name = $"cohort/{Guid.NewGuid():N}";
        var holder = await Client("cohort-a").AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var order = new ConcurrentQueue<string>();
        async Task<long> WaitAndReleaseAsync(string process, string who)
        {
            await using var held = await Client(process, TimeSpan.FromSeconds(60)).AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
            order.Enqueue(who);
            return held.FencingToken;
        }

        // The oldest waiter is in another process; two more waiters of the holder's own process than the
        // bound lets pass queue behind it.
        var passes = PostgresLockStatements.MaxLocalPasses;
        var other = WaitAndReleaseAsync("cohort-b", "B");
        await postgres.WaitForQueuedAsync(name, 1);
        var own = new List<Task<long>>();
        for (var i = 1; i <= passes + 2; i++)
        {
            own.Add(WaitAndReleaseAsync("cohort-a", $"A{i}"));
            await postgres.WaitForQueuedAsync(name, 1 + i);
        }

        await holder.ReleaseAsync();
        await Task.WhenAll(own.Append(other));

        output.WriteLine($"served: {string.Join(" ", order)}");
        // The bound's passes inside process A, then the waiter of B, whose release goes back to A's oldest.
        Assert.Equal([.. Enumerable.Range(1, passes).Select(i => $"A{i}"), "B", $"A{passes + 1}", $"A{passes + 2}"], order);
        Assert.Equal(holder.FencingToken + passes + 1, await other);
    }

    [Fact]
    public async Task A_waiter_queueing_while_the_holder_releases_is_never_left_asleep_beside_a_free_lock()
    {
        // Two processes take turns as fast as they can, so a release very often runs while the other side is
        // half way through queueing: the race in which a release that frees the lock without seeing the new
        // entry would leave that waiter asleep. With a 60 s place lease and TTL the waiter's only other way
        // in is its refresh, 20 s later, so any such stranding shows as a wait of 20 s.
        var name = $"pingpong/{Guid.NewGuid():N}";
        var lease = TimeSpan.FromSeconds(60);
        var sides = new[] { Client("pingpong-a", lease), Client("pingpong-b", lease) };
        var rounds = 0;
        long longestTicks = 0;
        var run = Stopwatch.StartNew();
        await Task.WhenAll(sides.Select(side => Task.Run(async () =>
        {
            while (run.Elapsed < TimeSpan.FromSeconds(4))
            {
                var asked = Stopwatch.GetTimestamp();
                var held = await side.AcquireAsync(name, wait: TimeSpan.FromSeconds(45), ttl: lease);
                var waited = Stopwatch.GetElapsedTime(asked).Ticks;
                long seen;
                while ((seen = Interlocked.Read(ref longestTicks)) < waited && Interlocked.CompareExchange(ref longestTicks, waited, seen) != seen)
                {
                }
                Interlocked.Increment(ref rounds);
                await held.ReleaseAsync();
            }
        })));

        var longest = TimeSpan.FromTicks(longestTicks);
        output.WriteLine($"{rounds} acquisitions in {run.Elapsed.TotalSeconds:0.0} s, longest wait {longest.TotalMilliseconds:0} ms");
        Assert.True(rounds > 100, $"only {rounds} acquisitions");
        Assert.True(longest < TimeSpan.FromSeconds(10), $"a waiter waited {longest.TotalSeconds:0.0} s: it slept beside a free lock until its place refresh");
        Assert.False((await sides[0].GetStatusAsync(name)).Held);
    }

    [Fact]
    public async Task Tiny_waits_that_run_out_during_hand_offs_leave_no_gap_and_every_fencing_token_reaches_a_client()
    {
        var name = $"tiny-waits/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(5);
        var grants = await RunTinyWaitsAsync(name, ttl, cancel: false);

        // Fences 1..n, each received by exactly one client: none issued to a waiter that then walked away.
        var fences = grants.Select(g => g.Fence).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, fences.Length).Select(i => (long)i), fences);
        Assert.Equal(fences[^1], await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks WHERE name = $1", name));
        AssertNoGapNearTheTtl(grants, ttl);
    }

    [Fact]
    public async Task Tiny_cancelled_waits_during_hand_offs_leave_no_gap_and_no_hold_behind()
    {
        var name = $"tiny-cancels/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(5);
        var grants = await RunTinyWaitsAsync(name, ttl, cancel: true);

        // A hand-off that landed on a cancelled waiter is given back by its abandon step at once.
        AssertNoGapNearTheTtl(grants, ttl);
        Assert.False((await Client().GetStatusAsync(name)).Held);
    }

    /// <summary>24 clients, each asking over and over with a wait (or cancellation) of 1–100 ms and releasing at once, for 4 s.</summary>
    private async Task<IReadOnlyList<(long Fence, long At)>> RunTinyWaitsAsync(string name, TimeSpan ttl, bool cancel)
    {
        var clients = Enumerable.Range(0, 24).Select(_ => Client()).ToArray();
        var grants = new ConcurrentQueue<(long Fence, long At)>();
        var gaveUp = 0;
        var run = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            var random = new Random(1000 + i);
            while (run.Elapsed < TimeSpan.FromSeconds(4))
            {
                var wait = TimeSpan.FromMilliseconds(random.Next(1, 101));
                ILockHandle? held;
                if (cancel)
                {
                    using var cts = new CancellationTokenSource(wait);
                    try
                    {
                        held = await client.AcquireAsync(name, ttl: ttl, cancellationToken: cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        held = null;
                    }
                }
                else
                {
                    held = await client.TryAcquireAsync(name, wait, ttl);
                }
                if (held is null)
                {
                    Interlocked.Increment(ref gaveUp);
                    continue;
                }
                grants.Enqueue((held.FencingToken, Stopwatch.GetTimestamp()));
                await held.ReleaseAsync();
            }
        })));
        output.WriteLine($"{grants.Count} grants and {gaveUp} waits given up in {run.Elapsed.TotalSeconds:0.0} s");
        Assert.True(grants.Count >= 24, $"only {grants.Count} grants");
        Assert.True(gaveUp > 0, "no wait ran out: the test did not exercise giving up");
        return [.. grants];
    }

    private void AssertNoGapNearTheTtl(IReadOnlyList<(long Fence, long At)> grants, TimeSpan ttl)
    {
        var ordered = grants.OrderBy(g => g.Fence).ToArray();
        var widest = ordered.Zip(ordered.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.At, b.At)).DefaultIfEmpty().Max();
        output.WriteLine($"widest gap between consecutive grants: {widest.TotalMilliseconds:0} ms (TTL {ttl.TotalMilliseconds:0} ms)");
        // A lock parked on a waiter that gave up stays held by nobody for the whole TTL.
        Assert.True(widest < ttl / 2, $"a gap of {widest.TotalMilliseconds:0} ms between grants: the lock sat on a waiter that had left");
    }
}
