using System.Diagnostics;
using Coord.Locks.Etcd;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>Holds share one session lease per provider and TTL: counted on the server, and what happens when a hold, the session or the process ends.</summary>
public sealed class EtcdSessionTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private readonly EtcdTestClients _clients = new(output);

    private EtcdLock Client() => _clients.Create([etcd.Server.ClientUrl]);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    private async Task<HashSet<long>> LeasesAsync()
        => (await etcd.Raw.GetConnection().LeaseClient.LeaseLeasesAsync(new LeaseLeasesRequest())).Leases.Select(l => l.ID).ToHashSet();

    /// <summary>Ten locks held by <paramref name="locks"/> for 30 s, all on its one session lease.</summary>
    private async Task<(string[] Names, List<ILockHandle> Holds, long Lease)> HoldTenAsync(EtcdLock locks, string stem)
    {
        var names = Enumerable.Range(0, 10).Select(i => $"{stem}/{i}").ToArray();
        var holds = new List<ILockHandle>();
        foreach (var name in names)
            holds.Add(await locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30)));
        return (names, holds, Assert.Single(await etcd.QueueAsync(names[0])).Lease);
    }

    [Fact]
    public async Task Two_hundred_holds_on_one_provider_use_one_session_lease()
    {
        var stem = $"many/{Guid.NewGuid():N}";
        var locks = Client();
        var before = await LeasesAsync();

        var holds = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => locks.AcquireAsync($"{stem}/{i}", wait: TimeSpan.FromSeconds(30))));

        var added = (await LeasesAsync()).Except(before).ToArray();
        var lease = Assert.Single(added);
        for (var i = 0; i < 200; i++)
            Assert.Equal(lease, Assert.Single(await etcd.QueueAsync($"{stem}/{i}")).Lease);
        // One transaction each and no grant of their own (a request resent after a slow answer on a busy machine may add a few).
        Assert.InRange(locks.Metrics.RequestCount("acquire"), 200, 210);
        Assert.InRange(locks.Metrics.RequestCount("session"), 2, 4); // one lease grant and one marker put for all of them

        foreach (var hold in holds)
            await hold.ReleaseAsync();
        Assert.InRange(locks.Metrics.RequestCount("release"), 200, 210); // one Delete each
        Assert.Contains(lease, await LeasesAsync()); // the session outlives its holds, ready for the next
    }

    [Fact]
    public async Task A_hold_nobody_renews_is_deleted_by_its_own_process_at_its_deadline_while_the_session_lives_on()
    {
        var name = $"unrenewed/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(2);
        var locks = Client();
        var stale = await locks.AcquireAsync(name, ttl: ttl);
        var kept = await locks.AcquireAsync($"{name}-kept", ttl: ttl);
        var lease = Assert.Single(await etcd.QueueAsync(name)).Lease;

        StoppedRenewals.Of(locks, stale); // a leaked handle: nothing renews it any more
        var stopped = Stopwatch.StartNew();
        var other = Client();
        await using var next = await other.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        output.WriteLine($"the unrenewed hold was free again {stopped.ElapsedMilliseconds} ms after its renewals stopped (TTL {ttl.TotalMilliseconds} ms)");

        Assert.InRange(stopped.Elapsed, ttl / 2, ttl + TimeSpan.FromSeconds(1));
        Assert.True(stale.IsLost);
        Assert.True(next.FencingToken > stale.FencingToken);
        // The session was not what ended it: its lease and the other hold on it are still there.
        Assert.False(kept.IsLost);
        Assert.Equal(lease, Assert.Single(await etcd.QueueAsync($"{name}-kept")).Lease);
        var left = await etcd.Raw.GetConnection().LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease });
        Assert.True(left.TTL > 0, "the session lease was gone");
        Assert.Null(await other.TryAcquireAsync($"{name}-kept"));
        await kept.ReleaseAsync();
    }

    [Fact]
    public async Task Killing_a_process_that_holds_ten_locks_frees_all_ten_within_the_session_TTL_plus_one_second()
    {
        var stem = $"crash10/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var holder = await LockHolderProcess.StartAsync("etcd", etcd.Server.ClientUrl, stem, ttl, TimeSpan.FromSeconds(60), count: 10);
        var names = Enumerable.Range(1, 10).Select(i => $"{stem}/{i}").ToArray();
        var keys = await Task.WhenAll(names.Select(async n => Assert.Single(await etcd.QueueAsync(n))));
        Assert.Single(keys.Select(k => k.Lease).Distinct()); // all ten on the process's one session

        var locks = Client();
        // Outlive a few keep-alives first, so the lease being waited out is one the dead process renewed.
        await Task.Delay(ttl);
        foreach (var name in names)
            Assert.Null(await locks.TryAcquireAsync(name));
        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        var freed = await Task.WhenAll(names.Select(async name =>
        {
            var next = await locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
            return (Handle: next, At: sinceKill.Elapsed);
        }));
        var last = freed.Max(f => f.At);
        output.WriteLine($"all ten locks acquired within {last.TotalMilliseconds:0} ms of the kill; session TTL {ttl.TotalMilliseconds:0} ms");

        Assert.True(last <= ttl + TimeSpan.FromSeconds(1), $"the last lock was acquired {last.TotalMilliseconds:0} ms after the kill; TTL {ttl.TotalMilliseconds:0} ms");
        for (var i = 0; i < names.Length; i++)
            Assert.True(freed[i].Handle.FencingToken > holder.FencingTokens[i]);
    }

    [Fact]
    public async Task Revoking_the_session_lease_fires_Lost_on_every_hold_at_once_from_one_watch_event()
    {
        var owner = Client();
        var (names, holds, lease) = await HoldTenAsync(owner, $"revoked/{Guid.NewGuid():N}");

        // Another client waits for every one of them. etcd deletes the session's keys and tells both clients
        // at once, on separate streams, so no client can promise to hear first; the owner must hear at once.
        var other = Client();
        var notYetLost = 0;
        var waiting = names.Select(async name =>
        {
            var next = await other.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            Interlocked.Add(ref notYetLost, holds.Count(h => !h.IsLost));
            return next;
        }).ToArray();
        var allLost = new TaskCompletionSource();
        var lostCount = 0;
        foreach (var hold in holds)
            hold.Lost.Register(() => { if (Interlocked.Increment(ref lostCount) == holds.Count) allLost.TrySetResult(); });
        foreach (var name in names)
            await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);

        var revoked = Stopwatch.StartNew();
        await etcd.Raw.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        // The session watches its marker key, so all ten learn it from one watch event, not from a keep-alive (30 s TTL: 5 s apart).
        await allLost.Task.WaitAsync(TimeSpan.FromSeconds(1));
        var lostAfter = revoked.Elapsed;
        var next = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"all ten holds lost {lostAfter.TotalMilliseconds:0} ms after the revoke; holds not yet lost when the other client's acquisitions returned: {notYetLost} (of {names.Length} x {names.Length} checks)");

        Assert.All(holds, h => Assert.True(h.IsLost));
        for (var i = 0; i < names.Length; i++)
            Assert.True(next[i].FencingToken > holds[i].FencingToken);

        // The lost session is replaced for new holds.
        await using var again = await owner.AcquireAsync($"{names[0]}-after");
        Assert.NotEqual(lease, Assert.Single(await etcd.QueueAsync($"{names[0]}-after")).Lease);
        Assert.False(again.IsLost);
    }

    [Fact]
    public async Task A_session_revoked_from_outside_fires_Lost_on_every_hold_in_the_holding_process_before_another_process_is_granted_any_of_them()
    {
        var stem = $"revokedacross/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(30); // keep-alives 5 s apart: the holder must learn of the revoke from its watch
        await using var holder = await LockHolderProcess.StartAsync("etcd", etcd.Server.ClientUrl, stem, ttl, TimeSpan.FromSeconds(60), count: 10);
        var names = Enumerable.Range(1, 10).Select(i => $"{stem}/{i}").ToArray();
        var lease = Assert.Single(await etcd.QueueAsync(names[0])).Lease;

        // This process waits for every one of them and notes when each acquire returns, on the machine's
        // monotonic clock, which the holder process reads too when each of its holds fires Lost.
        var waiter = Client();
        var grantedAt = new long[names.Length];
        var waiting = names.Select(async (name, i) =>
        {
            var next = await waiter.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            grantedAt[i] = Stopwatch.GetTimestamp();
            return next;
        }).ToArray();
        foreach (var name in names)
            await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);

        // The holder process stalls across the revoke for 100 ms (a GC pause, a starved machine): both processes
        // are told of the revoke at the same revision, and this one, left to itself, grants within tens of
        // milliseconds. The grant must wait until the holder can have heard (EtcdLine.SessionEndGrace, 250 ms).
        await holder.PauseAsync();
        await etcd.Raw.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        holder.Resume();
        var next = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));
        var lostAt = await holder.LostTimestampsAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(names.Length, lostAt.Length);
        Assert.All(lostAt, t => Assert.NotEqual(0, t));
        var lastLost = lostAt.Max();
        var firstGrant = grantedAt.Min();
        output.WriteLine($"last Lost in the holder process {Stopwatch.GetElapsedTime(lastLost, firstGrant).TotalMilliseconds:0.0} ms before the first grant here; grants spread over {Stopwatch.GetElapsedTime(firstGrant, grantedAt.Max()).TotalMilliseconds:0.0} ms");
        Assert.True(lastLost < firstGrant, $"a lock was granted here {Stopwatch.GetElapsedTime(firstGrant, lastLost).TotalMilliseconds:0.0} ms before the holder process fired Lost on its last hold");
        for (var i = 0; i < names.Length; i++)
            Assert.True(next[i].FencingToken > holder.FencingTokens[i]);
        foreach (var hold in next)
            await hold.ReleaseAsync();
    }

    [Fact]
    public async Task Within_one_provider_a_revoked_session_fires_Lost_on_each_hold_before_that_lock_is_granted_to_a_waiter()
    {
        var locks = Client();
        var (names, holds, lease) = await HoldTenAsync(locks, $"revokedinside/{Guid.NewGuid():N}");

        // The same provider waits for every one of them, on a second session (each name is taken on the first).
        // Its waiters and its holds hear of a key's DELETE on one watch stream, in one place: the hold first.
        var grantedWhileHeld = new bool[names.Length];
        var waiting = names.Select(async (name, i) =>
        {
            var next = await locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            grantedWhileHeld[i] = !holds[i].IsLost;
            return next;
        }).ToArray();
        foreach (var name in names)
            await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);
        Assert.NotEqual(lease, (await etcd.QueueAsync(names[0]))[1].Lease);

        await etcd.Raw.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        var next = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(grantedWhileHeld, Assert.False);
        Assert.All(holds, h => Assert.True(h.IsLost));
        for (var i = 0; i < names.Length; i++)
            Assert.True(next[i].FencingToken > holds[i].FencingToken);
        foreach (var hold in next)
            await hold.ReleaseAsync();
    }

    [Fact]
    public async Task Two_holds_of_one_name_on_one_provider_exclude_each_other_and_queue_in_order()
    {
        var name = $"samename/{Guid.NewGuid():N}";
        var locks = Client();
        var first = await locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        Assert.Null(await locks.TryAcquireAsync(name));

        var second = locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(20), ttl: TimeSpan.FromSeconds(30));
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);
        var queue = await etcd.QueueAsync(name);
        Assert.NotEqual(queue[0].Lease, queue[1].Lease); // the second hold's key is on a second session of the same TTL
        await Task.Delay(200);
        Assert.False(second.IsCompleted);

        await first.ReleaseAsync();
        await using var held = await second.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(held.FencingToken > first.FencingToken);
        await held.ReleaseAsync();

        // Many holds of one name from one provider at once: never two inside.
        var section = new OverlapDetector();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            for (var round = 0; round < 5; round++)
            {
                await using var h = await locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
                section.Enter();
                await Task.Delay(5);
                section.Leave();
            }
        })));
        Assert.Equal(0, section.Overlaps);
        Assert.Empty(await etcd.QueueAsync(name));
    }

    [Fact]
    public async Task Sub_second_TTLs_work_renewed_and_expired_by_the_process_on_a_whole_second_session_lease()
    {
        var name = $"short/{Guid.NewGuid():N}";
        var locks = Client();
        var other = Client();

        // The least TTL LockValidation accepts: taken and released like any other.
        var shortest = await locks.AcquireAsync(name, ttl: TimeSpan.FromMilliseconds(10));
        Assert.True(shortest.FencingToken > 0);
        await shortest.ReleaseAsync();

        // Half a second: sub-second, yet renewals (every TTL/3) tolerate a stall of a busy test machine.
        var ttl = TimeSpan.FromMilliseconds(500);
        var held = await locks.AcquireAsync(name, ttl: ttl);
        await Task.Delay(ttl * 6); // renewed in process, without a request
        Assert.False(held.IsLost);
        Assert.Null(await other.TryAcquireAsync(name));
        var key = Assert.Single(await etcd.QueueAsync(name));
        var lease = await etcd.Raw.GetConnection().LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = key.Lease });
        Assert.Equal(1, lease.GrantedTTL); // etcd leases are whole seconds: the session's lease is 1 s

        StoppedRenewals.Of(locks, held);
        var clock = Stopwatch.StartNew();
        await using var next = await other.AcquireAsync(name, wait: TimeSpan.FromSeconds(10));
        // Deleted by its own process at its deadline, sooner than the 1 s session lease could expire.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
        Assert.True(held.IsLost);
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task The_longest_TTL_of_one_day_is_granted_as_a_one_day_session_lease()
    {
        var name = $"long/{Guid.NewGuid():N}";
        var locks = Client();
        var held = await locks.AcquireAsync(name, ttl: LockOptions.MaximumTtl);
        var key = Assert.Single(await etcd.QueueAsync(name));
        var lease = await etcd.Raw.GetConnection().LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = key.Lease });
        Assert.Equal((long)LockOptions.MaximumTtl.TotalSeconds, lease.GrantedTTL);
        Assert.True(held.ValidUntil > DateTimeOffset.UtcNow + TimeSpan.FromHours(23));

        var bare = await locks.TryAcquireLeaseAsync($"{name}-bare", ttl: LockOptions.MaximumTtl);
        Assert.NotNull(bare);
        Assert.True(await Client().RenewAsync(bare.Name, bare.HolderToken, LockOptions.MaximumTtl));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => locks.TryAcquireAsync(name, ttl: LockOptions.MaximumTtl + TimeSpan.FromTicks(1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => locks.TryAcquireAsync(name, ttl: TimeSpan.FromMilliseconds(9)));
        await held.ReleaseAsync();
        Assert.True(await Client().ReleaseAsync(bare.Name, bare.HolderToken));
        Assert.Empty(await etcd.QueueAsync($"{name}-bare"));
    }
}
