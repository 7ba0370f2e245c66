namespace Coord.Locks.Tests.Contract;

/// <summary>
/// The semaphore contract, run once per backend: a backend is done when its subclass passes all of it.
/// Each test uses a fresh name; separate clients (providers with their own connections) stand in for
/// separate processes.
/// </summary>
public abstract partial class SemaphoreContractTests : HoldContractTests<SemaphoreProvider>
{
    [Fact]
    public async Task Never_more_than_N_holders_under_contention_yet_N_at_once_and_every_grant_has_its_own_rising_fence()
    {
        const int maxCount = 3, clientCount = 4, workers = 12, rounds = 4;
        var name = NewName("capacity");
        var clients = new SemaphoreProvider[clientCount];
        for (var i = 0; i < clientCount; i++)
            clients[i] = await CreateClientAsync();

        var section = new OccupancyDetector(maxCount);
        var fences = new List<long>();

        async Task Work(SemaphoreProvider client)
        {
            var last = long.MinValue;
            for (var r = 0; r < rounds; r++)
            {
                await using var permit = await client.AcquireAsync(name, maxCount, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(10));
                section.Enter();
                Assert.True(permit.FencingToken > last, $"a worker's fence {permit.FencingToken} is not above its previous {last}");
                last = permit.FencingToken;
                lock (fences)
                    fences.Add(permit.FencingToken);
                // Stay inside long enough that an extra holder would be seen.
                await Task.Delay(15);
                section.Leave();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => Work(clients[i % clientCount]))));

        Assert.Equal(0, section.Violations);
        Assert.Equal(maxCount, section.MostInside);
        Assert.Equal(workers * rounds, fences.Distinct().Count());
    }

    [Fact]
    public async Task N_permits_are_granted_then_the_next_waits_and_a_release_lets_exactly_one_in()
    {
        var name = NewName("count");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = new List<ILockHandle>();
        for (var i = 0; i < 3; i++)
        {
            var permit = await (i % 2 == 0 ? a : b).TryAcquireAsync(name, 3);
            Assert.True(permit is not null, $"permit {i + 1} of 3 was refused");
            held.Add(permit);
        }
        Assert.Equal(3, held.Select(h => h.HolderToken).Distinct().Count());
        for (var i = 1; i < held.Count; i++)
            Assert.True(held[i].FencingToken > held[i - 1].FencingToken, "fences of successive grants must rise");

        Assert.Null(await a.TryAcquireAsync(name, 3));
        Assert.Null(await b.TryAcquireAsync(name, 3, wait: TimeSpan.FromMilliseconds(200)));

        await held[1].ReleaseAsync();
        await using var next = await b.TryAcquireAsync(name, 3);
        Assert.NotNull(next);
        Assert.True(next.FencingToken > held[2].FencingToken);
        Assert.Null(await a.TryAcquireAsync(name, 3));
        Assert.All(held, h => Assert.False(h.IsLost));
        await held[0].ReleaseAsync();
        await held[2].ReleaseAsync();
    }

    [Fact]
    public async Task Freed_permits_go_to_waiters_in_arrival_order_and_a_releaser_cannot_barge()
    {
        var name = NewName("fifo");
        var owner = await CreateClientAsync();
        var clients = new SemaphoreProvider[3];
        for (var i = 0; i < clients.Length; i++)
            clients[i] = await CreateClientAsync();
        var first = await owner.AcquireAsync(name, 2, ttl: TimeSpan.FromSeconds(30));
        var second = await owner.AcquireAsync(name, 2, ttl: TimeSpan.FromSeconds(30));

        var waiting = new Task<ILockHandle>[3];
        for (var i = 0; i < waiting.Length; i++)
        {
            waiting[i] = clients[i].AcquireAsync(name, 2, wait: NoHang * 2, ttl: TimeSpan.FromSeconds(30));
            await UntilWaitingAsync(name, i + 1);
        }

        await first.ReleaseAsync();
        // The releaser asks again at once: the permit it gave up is already the first waiter's.
        Assert.Null(await owner.TryAcquireAsync(name, 2));
        var w0 = await waiting[0].WaitAsync(NoHang);
        await UntilWaitingAsync(name, 2);
        Assert.False(waiting[1].IsCompleted || waiting[2].IsCompleted, "a later waiter got the permit before an earlier one");

        await second.ReleaseAsync();
        var w1 = await waiting[1].WaitAsync(NoHang);
        await UntilWaitingAsync(name, 1);
        Assert.False(waiting[2].IsCompleted, "the last waiter got a permit while two were held");

        await w0.ReleaseAsync();
        var w2 = await waiting[2].WaitAsync(NoHang);
        Assert.True(w0.FencingToken > second.FencingToken && w1.FencingToken > w0.FencingToken && w2.FencingToken > w1.FencingToken,
            $"fences {w0.FencingToken}, {w1.FencingToken}, {w2.FencingToken} do not rise in grant order");
        await w1.ReleaseAsync();
        await w2.ReleaseAsync();
        Assert.Equal(0, await WaitingAsync(name));
    }

    [Fact]
    public async Task A_leaked_permit_ends_at_its_TTL_and_its_place_goes_to_a_waiter()
    {
        var name = NewName("leak");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var leaked = await a.AcquireAsync(name, 2, ttl: ShortTtl);
        await using var kept = await a.AcquireAsync(name, 2, ttl: ShortTtl);
        StoppedRenewals.Of(a, leaked);

        Assert.Null(await b.TryAcquireAsync(name, 2));
        await using var next = await b.AcquireAsync(name, 2, wait: ShortTtl * 3 + TimeSpan.FromSeconds(10));
        Assert.True(leaked.IsLost, "the permit that stopped renewing still believes it is held");
        Assert.False(kept.IsLost, "the permit that kept renewing was lost");
        Assert.True(next.FencingToken > kept.FencingToken);
        Assert.Null(await b.TryAcquireAsync(name, 2));
    }

    [Fact]
    public async Task Lost_fires_for_the_permit_taken_away_and_only_for_it()
    {
        var name = NewName("lost");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var taken = await a.AcquireAsync(name, 2, ttl: ShortTtl);
        await using var other = await a.AcquireAsync(name, 2, ttl: ShortTtl);

        await TakeAwayAsync(name, taken.HolderToken);

        var lost = new TaskCompletionSource();
        await using var registration = taken.Lost.Register(() => lost.TrySetResult());
        Assert.Same(lost.Task, await Task.WhenAny(lost.Task, Task.Delay(ShortTtl * 2 + NoHang)));
        Assert.True(taken.IsLost);
        Assert.False(other.IsLost);
        await using var next = await b.TryAcquireAsync(name, 2);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Only_the_holder_releases_or_renews_a_permit()
    {
        var name = NewName("token");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireAsync(name, 1, ttl: TimeSpan.FromSeconds(30));
        var wrong = Guid.NewGuid().ToString("N");

        Assert.False(await b.ReleaseAsync(name, wrong));
        Assert.False(await b.RenewAsync(name, wrong, TimeSpan.FromMilliseconds(50) < b.MinimumTtl ? b.MinimumTtl : TimeSpan.FromMilliseconds(50)));
        Assert.False(await b.ReleaseAsync(NewName("elsewhere"), held.HolderToken));
        Assert.False(await b.RenewAsync(NewName("elsewhere"), held.HolderToken));

        Assert.Null(await b.TryAcquireAsync(name, 1));
        Assert.False(held.IsLost);
        if (!CanRenewFromAnotherClient)
            await Assert.ThrowsAnyAsync<LockException>(() => b.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(30)));
        Assert.True(await (CanRenewFromAnotherClient ? b : a).RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(30)));
        Assert.True(await b.ReleaseAsync(name, held.HolderToken));
        Assert.False(await b.ReleaseAsync(name, held.HolderToken));
        await using var next = await b.TryAcquireAsync(name, 1);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task A_bounded_wait_times_out_naming_the_semaphore_and_leaves_no_place_behind()
    {
        var name = NewName("timeout");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var held = await a.AcquireAsync(name, 1);

        var ex = await Assert.ThrowsAsync<LockTimeoutException>(() => b.AcquireAsync(name, 1, wait: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(name, ex.LockName);
        Assert.Equal(b.Backend, ex.Backend);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Waited);
        Assert.Null(await b.TryAcquireAsync(name, 1, wait: TimeSpan.FromMilliseconds(100)));
        Assert.Equal(0, await WaitingAsync(name));

        await held.ReleaseAsync();
        // Had a timed-out waiter stayed in line, the free permit would be its, not a new client's.
        await using var next = await c.TryAcquireAsync(name, 1);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Cancellation_stops_a_waiter_and_gives_up_its_place()
    {
        var name = NewName("cancel");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var held = await a.AcquireAsync(name, 1);

        using var cts = new CancellationTokenSource();
        var waiting = b.AcquireAsync(name, 1, cancellationToken: cts.Token);
        await UntilWaitingAsync(name, 1);
        await cts.CancelAsync();
        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(NoHang)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await UntilWaitingAsync(name, 0);

        await held.ReleaseAsync();
        await using var next = await c.TryAcquireAsync(name, 1);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Disposing_a_permit_twice_is_harmless_and_sync_using_works()
    {
        var name = NewName("dispose");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, 1);
        await held.DisposeAsync();
        await held.DisposeAsync();
        await using var next = await b.TryAcquireAsync(name, 1);
        Assert.NotNull(next);
        held.Dispose();
        Assert.Null(await a.TryAcquireAsync(name, 1));
        Assert.False(next.IsLost);
        await next.ReleaseAsync();

        await Task.Run(() =>
        {
            using (var permit = a.Acquire(name, 1, wait: TimeSpan.FromSeconds(10)))
                Assert.Null(b.TryAcquire(name, 1));
            using var again = b.TryAcquire(name, 1, wait: TimeSpan.FromSeconds(5));
            Assert.NotNull(again);
        });
    }
}
