using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

/// <summary>
/// The ends of every range a provider accepts, and a seeded random sample in between (<see cref="TtlLimits"/>).
/// The property checked for every TTL: while a hold of that TTL lives, a second client is refused; it may get the
/// lock only after a release, or after the TTL has passed since the hold was asked for (and then a
/// handle's Lost must already have fired).
/// </summary>
public abstract partial class LockContractTests
{
    [Fact]
    public async Task Handles_at_the_smallest_and_largest_accepted_TTL_exclude_a_second_client_until_release()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.AtTheEndsAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertHandleExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task Bare_leases_and_renewals_at_the_smallest_and_largest_accepted_TTL_exclude_a_second_client()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.AtTheEndsAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task For_any_accepted_TTL_a_second_client_is_refused_until_release_or_expiry()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.OverTheRandomSampleAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertHandleExcludesAsync(a, b, ttl), ttl => AssertLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task TTLs_just_outside_the_accepted_range_are_refused_up_front_and_take_nothing()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var name = NewName("ttl-range");
        Assert.InRange(a.MinimumTtl, LockOptions.MinimumTtl, a.MaximumTtl);
        Assert.InRange(a.MaximumTtl, a.MinimumTtl, LockOptions.MaximumTtl);

        foreach (var ttl in new[] { a.MinimumTtl - TimeSpan.FromTicks(1), a.MaximumTtl + TimeSpan.FromTicks(1) })
        {
            var refused = await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, ttl: ttl));
            Assert.Contains("at most", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireLeaseAsync(name, ttl: ttl));
            await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.AcquireAsync(name, wait: TimeSpan.Zero, ttl: ttl));
        }

        await using var held = await b.TryAcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        Assert.NotNull(held);
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => b.RenewAsync(name, held.HolderToken, a.MaximumTtl + TimeSpan.FromTicks(1)));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => b.RenewAsync(name, held.HolderToken, a.MinimumTtl - TimeSpan.FromTicks(1)));
        Assert.False(held.IsLost);
        Assert.Null(await a.TryAcquireAsync(name));
    }

    [Fact]
    public async Task TTLs_and_waits_that_overflow_careless_arithmetic_are_refused_saying_what_is_allowed()
    {
        var a = await CreateClientAsync();
        var name = NewName("overflow");
        foreach (var ttl in TtlLimits.OverflowProneTtls.Where(t => t < a.MinimumTtl || t > a.MaximumTtl))
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireLeaseAsync(name, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.RenewAsync(name, "token", ttl)), "ttl");
        }
        foreach (var wait in TtlLimits.OverflowProneWaits)
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.AcquireAsync(name, wait: wait)), "wait");
        }
        // The refused calls took nothing.
        await using var free = await a.TryAcquireAsync(name);
        Assert.NotNull(free);
    }

    [Fact]
    public async Task Waits_of_zero_and_of_the_maximum_are_honoured()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var name = NewName("wait-limits");

        // Zero: an answer at once, either way.
        var first = await a.TryAcquireAsync(name, wait: TimeSpan.Zero, ttl: TimeSpan.FromSeconds(30));
        Assert.NotNull(first);
        Assert.Null(await b.TryAcquireAsync(name, wait: TimeSpan.Zero));
        Assert.Null(await b.TryAcquireLeaseAsync(name, wait: TimeSpan.Zero));

        // The maximum: a real wait that a release ends, neither refused nor cut short by a timer that cannot count that far.
        var waiting = b.AcquireAsync(name, wait: LockOptions.MaximumWait, ttl: TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, waiting.Exception?.ToString());
        await first.ReleaseAsync();
        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(NoHang)));
        await using (var second = await waiting)
        {
            Assert.False(second.IsLost);
            Assert.Null(await a.TryAcquireAsync(name));
        }

        await using (var free = await a.AcquireAsync(name, wait: LockOptions.MaximumWait))
            Assert.False(free.IsLost);
        var lease = await b.TryAcquireLeaseAsync(name, wait: LockOptions.MaximumWait);
        Assert.NotNull(lease);
        Assert.True(await b.ReleaseAsync(name, lease.HolderToken));

        var tooLong = await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(() => a.TryAcquireAsync(name, wait: LockOptions.MaximumWait + TimeSpan.FromTicks(1)));
        Assert.Contains("at most 365 days", tooLong.Message, StringComparison.Ordinal);
    }

    private async Task AssertHandleExcludesAsync(LockProvider a, LockProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-handle");
        var asked = Stopwatch.GetTimestamp();
        var held = await a.AcquireAsync(name, wait: NoHang, ttl: ttl);
        await AssertStatusMatchesAsync(b, name, ttl);

        await AssertRefusedUnlessExpiredAsync(b, name, ttl, asked, held);
        if (!held.IsLost)
        {
            var renewed = Stopwatch.GetTimestamp();
            if (await a.RenewAsync(name, held.HolderToken, ttl))
                await AssertRefusedUnlessExpiredAsync(b, name, ttl, renewed, held);
        }

        await held.ReleaseAsync();
        await using var next = await b.TryAcquireAsync(name, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the lock stayed held after its holder released it");
    }

    private async Task AssertLeaseExcludesAsync(LockProvider a, LockProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-lease");
        var asked = Stopwatch.GetTimestamp();
        var lease = await a.TryAcquireLeaseAsync(name, wait: NoHang, ttl: ttl);
        Assert.True(lease is not null, $"TTL {ttl}: a free lock was not granted");
        Assert.Equal(ttl, lease.Ttl);
        Assert.True(lease.ValidUntil <= DateTimeOffset.UtcNow + ttl, $"TTL {ttl}: the lease claims validity until {lease.ValidUntil:O}, beyond its TTL");
        await AssertStatusMatchesAsync(b, name, ttl);
        await AssertRefusedUnlessExpiredAsync(b, name, ttl, asked, handle: null);

        var renewed = Stopwatch.GetTimestamp();
        if (await a.RenewAsync(name, lease.HolderToken, ttl))
            await AssertRefusedUnlessExpiredAsync(b, name, ttl, renewed, handle: null);
        else
            Assert.True(Stopwatch.GetElapsedTime(asked) >= ttl, $"TTL {ttl}: renewing a live lease by its token was refused after {Stopwatch.GetElapsedTime(asked)}");

        await a.ReleaseAsync(name, lease.HolderToken);
        await using var next = await b.TryAcquireAsync(name, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the lock stayed held after its holder released it");
    }

    private static Task AssertRefusedUnlessExpiredAsync(LockProvider other, string name, TimeSpan ttl, long askedTimestamp, ILockHandle? handle)
        => TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await other.TryAcquireAsync(name, wait: TimeSpan.Zero), ttl, askedTimestamp, () => handle?.IsLost ?? true, "the lock");

    private static async Task AssertStatusMatchesAsync(LockProvider reader, string name, TimeSpan ttl)
    {
        var status = await reader.GetStatusAsync(name);
        if (status.ExpiresIn is not { } left)
            return;
        // Backends may round a lease up (etcd to whole seconds, with a server minimum); never down to nothing while it is long.
        Assert.True(left <= ttl + TimeSpan.FromSeconds(5), $"TTL {ttl}: status says it expires in {left}");
        if (ttl >= TimeSpan.FromSeconds(10))
            Assert.True(status.Held && left >= ttl - TimeSpan.FromSeconds(5), $"TTL {ttl}: status says held={status.Held}, expires in {left}");
    }
}
