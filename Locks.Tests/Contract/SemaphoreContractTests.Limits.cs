using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

public abstract partial class SemaphoreContractTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public async Task A_max_count_below_1_is_rejected_saying_what_is_allowed(int maxCount)
    {
        var a = await CreateClientAsync();
        var name = NewName("count-range");

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.AcquireAsync(name, maxCount));
        Assert.Equal("maxCount", ex.ParamName);
        Assert.Contains("at least 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"it was {maxCount}", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, maxCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.TryAcquire(name, maxCount));

        // The rejected calls took nothing and fixed no count for the name.
        await using var permit = await a.TryAcquireAsync(name, 1);
        Assert.NotNull(permit);
    }

    [Fact]
    public async Task A_max_count_of_1_excludes_like_a_lock()
    {
        var name = NewName("count-one");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireAsync(name, 1);
        Assert.Null(await b.TryAcquireAsync(name, 1));
        Assert.Null(await a.TryAcquireAsync(name, 1));
    }

    [Fact]
    public async Task The_largest_max_count_is_accepted_and_grants_without_waiting()
    {
        var name = NewName("count-max");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var permits = new List<ILockHandle>();
        for (var i = 0; i < 20; i++)
        {
            var permit = await (i % 2 == 0 ? a : b).TryAcquireAsync(name, int.MaxValue);
            Assert.True(permit is not null, $"permit {i + 1} of int.MaxValue was refused");
            permits.Add(permit);
        }
        Assert.Equal(permits.Count, permits.Select(p => p.FencingToken).Distinct().Count());
        foreach (var permit in permits)
            await permit.ReleaseAsync();
    }

    [Fact]
    public async Task Another_max_count_is_refused_while_the_name_is_in_use_and_accepted_once_it_is_idle()
    {
        var name = NewName("count-mismatch");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, 2);

        var ex = await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => b.TryAcquireAsync(name, 3));
        Assert.Equal(3, ex.RequestedMaxCount);
        Assert.Equal(2, ex.ActiveMaxCount);
        Assert.Equal(name, ex.LockName);
        Assert.Contains("max count 2", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => b.AcquireAsync(name, 1, wait: TimeSpan.FromSeconds(1)));

        // The refused calls changed nothing: one permit of two is still free, and then none.
        var second = await b.TryAcquireAsync(name, 2);
        Assert.NotNull(second);
        Assert.Null(await b.TryAcquireAsync(name, 2));

        // A waiter keeps the name in use as much as a holder does.
        await held.ReleaseAsync();
        var waiter = b.AcquireAsync(name, 1, wait: NoHang);
        var refused = await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => waiter);
        Assert.Equal(2, refused.ActiveMaxCount);
        await second.ReleaseAsync();

        // Idle now: a new count takes effect.
        var three = new List<ILockHandle>();
        for (var i = 0; i < 3; i++)
            three.Add(await a.AcquireAsync(name, 3, wait: TimeSpan.FromSeconds(5)));
        Assert.Null(await b.TryAcquireAsync(name, 3));
        await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => b.TryAcquireAsync(name, 2));
        foreach (var permit in three)
            await permit.ReleaseAsync();
    }

    [Fact]
    public async Task Names_are_checked_like_lock_names_at_both_ends_of_the_range()
    {
        var a = await CreateClientAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => a.AcquireAsync(null!, 1));
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.AcquireAsync("", 1));
        Assert.Contains("1 to 256", empty.Message, StringComparison.Ordinal);
        var tooLong = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(new string('x', 257), 1));
        Assert.Contains("257", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync("bad\u0001name", 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync("lone\ud800surrogate", 1));

        var longest = (NewName("n") + new string('n', 256))[..256];
        await using var atLimit = await a.TryAcquireAsync(longest, 1);
        Assert.NotNull(atLimit);
        await using var shortest = await a.TryAcquireAsync(Guid.NewGuid().ToString("N")[..1], int.MaxValue);
        Assert.NotNull(shortest);
    }

    [Fact]
    public async Task TTLs_and_waits_are_checked_at_both_ends_of_their_ranges()
    {
        var a = await CreateClientAsync();
        var name = NewName("ranges");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 1, ttl: TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 1, ttl: a.MinimumTtl - TimeSpan.FromTicks(1)));
        var tooLong = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 1, ttl: a.MaximumTtl + TimeSpan.FromTicks(1)));
        Assert.Contains("at most", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 1, wait: TimeSpan.FromTicks(-1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.AcquireAsync(name, 1, wait: LockOptions.MaximumWait + TimeSpan.FromTicks(1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.RenewAsync(name, "token", TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.ReleaseAsync(name, ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.ReleaseAsync(name, new string('t', 129)));

        // Both ends of the TTL range are accepted.
        var longest = await a.TryAcquireAsync(name, 2, ttl: a.MaximumTtl);
        Assert.NotNull(longest);
        Assert.True(longest.ValidUntil > DateTimeOffset.UtcNow + a.MaximumTtl * 0.9);
        var shortest = await a.TryAcquireAsync(name, 2, ttl: a.MinimumTtl);
        Assert.NotNull(shortest);
        await shortest.DisposeAsync();
        await longest.ReleaseAsync();
        // The longest bounded wait is accepted (and returns at once when a permit is free).
        await using var waited = await a.AcquireAsync(name, 2, wait: LockOptions.MaximumWait);
        Assert.NotNull(waited);
    }

    [Fact]
    public async Task Permits_at_the_smallest_and_largest_accepted_TTL_keep_a_full_semaphore_full_until_release()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.AtTheEndsAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertPermitExcludesAsync(a, b, ttl), ttl => AssertPermitLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task For_any_accepted_TTL_a_full_semaphore_refuses_another_client_until_release_or_expiry()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.OverTheRandomSampleAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertPermitExcludesAsync(a, b, ttl), ttl => AssertPermitLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task TTLs_waits_and_counts_that_overflow_careless_arithmetic_are_refused_saying_what_is_allowed()
    {
        var a = await CreateClientAsync();
        var name = NewName("overflow");
        foreach (var ttl in TtlLimits.OverflowProneTtls.Where(t => t < a.MinimumTtl || t > a.MaximumTtl))
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 2, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireLeaseAsync(name, 2, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.RenewAsync(name, "token", ttl)), "ttl");
        }
        foreach (var wait in TtlLimits.OverflowProneWaits)
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, 2, wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.AcquireAsync(name, 2, wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireLeaseAsync(name, 2, wait: wait)), "wait");
        }
        // The refused calls took nothing and fixed no count: all of another count's permits are free.
        await using var one = await a.TryAcquireAsync(name, 1);
        Assert.NotNull(one);
    }

    [Fact]
    public async Task A_wait_of_the_maximum_is_a_real_wait_that_a_release_ends()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var name = NewName("wait-max");
        var first = await a.AcquireAsync(name, 1, ttl: TimeSpan.FromSeconds(30));
        Assert.Null(await b.TryAcquireAsync(name, 1, wait: TimeSpan.Zero));
        Assert.Null(await b.TryAcquireLeaseAsync(name, 1, wait: TimeSpan.Zero));

        var waiting = b.AcquireAsync(name, 1, wait: LockOptions.MaximumWait, ttl: TimeSpan.FromSeconds(30));
        await UntilWaitingAsync(name, 1);
        Assert.False(waiting.IsCompleted, waiting.Exception?.ToString());
        await first.ReleaseAsync();
        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(NoHang)));
        await using var second = await waiting;
        Assert.False(second.IsLost);
        Assert.Null(await a.TryAcquireAsync(name, 1));
    }

    private async Task AssertPermitExcludesAsync(SemaphoreProvider a, SemaphoreProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-permit");
        var asked = Stopwatch.GetTimestamp();
        var held = await a.AcquireAsync(name, 1, wait: NoHang, ttl: ttl);
        Assert.Equal(ttl, held.Ttl);
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireAsync(name, 1), ttl, asked, () => held.IsLost, "a permit");
        if (!held.IsLost)
        {
            var renewed = Stopwatch.GetTimestamp();
            if (await a.RenewAsync(name, held.HolderToken, ttl))
                await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireAsync(name, 1), ttl, renewed, () => held.IsLost, "a permit");
        }

        await held.ReleaseAsync();
        await using var next = await b.TryAcquireAsync(name, 1, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the permit stayed taken after its holder released it");
    }

    private async Task AssertPermitLeaseExcludesAsync(SemaphoreProvider a, SemaphoreProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-permit-lease");
        var asked = Stopwatch.GetTimestamp();
        var lease = await a.TryAcquireLeaseAsync(name, 1, wait: NoHang, ttl: ttl);
        Assert.True(lease is not null, $"TTL {ttl}: a free permit was not granted");
        Assert.Equal(ttl, lease.Ttl);
        Assert.True(lease.ValidUntil <= DateTimeOffset.UtcNow + ttl, $"TTL {ttl}: the lease claims validity until {lease.ValidUntil:O}, beyond its TTL");
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireAsync(name, 1), ttl, asked, () => true, "a permit");

        // A bare lease is renewed by its token, from another client where the backend allows it (as the REST service does).
        var renewer = CanRenewFromAnotherClient ? b : a;
        var renewed = Stopwatch.GetTimestamp();
        if (await renewer.RenewAsync(name, lease.HolderToken, ttl))
            await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireAsync(name, 1), ttl, renewed, () => true, "a permit");
        else
            Assert.True(Stopwatch.GetElapsedTime(asked) >= ttl, $"TTL {ttl}: renewing a live permit by its token was refused after {Stopwatch.GetElapsedTime(asked)}");

        await a.ReleaseAsync(name, lease.HolderToken);
        await using var next = await b.TryAcquireAsync(name, 1, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the permit stayed taken after its holder released it");
    }
}
