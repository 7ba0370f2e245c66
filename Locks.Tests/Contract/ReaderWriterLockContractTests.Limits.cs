using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

public abstract partial class ReaderWriterLockContractTests
{
    [Fact]
    public async Task Names_are_checked_like_lock_names_at_both_ends_of_the_range()
    {
        var a = await CreateClientAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => a.AcquireReadLockAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => a.AcquireWriteLockAsync(null!));
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.AcquireWriteLockAsync(""));
        Assert.Contains("1 to 256", empty.Message, StringComparison.Ordinal);
        var tooLong = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireReadLockAsync(new string('x', 257)));
        Assert.Contains("257", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireWriteLockAsync(new string('x', 257)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireReadLockAsync("bad\u0001name"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireWriteLockAsync("lone\ud800surrogate"));

        var longest = (NewName("n") + new string('n', 256))[..256];
        await using (var atLimit = await a.TryAcquireWriteLockAsync(longest))
            Assert.NotNull(atLimit);
        await using var readAtLimit = await a.TryAcquireReadLockAsync(longest);
        Assert.NotNull(readAtLimit);
        await using var shortest = await a.TryAcquireWriteLockAsync(Guid.NewGuid().ToString("N")[..1]);
        Assert.NotNull(shortest);
    }

    [Fact]
    public async Task TTLs_and_waits_are_checked_at_both_ends_of_their_ranges_for_readers_and_writers()
    {
        var a = await CreateClientAsync();
        var name = NewName("ranges");

        foreach (var write in new[] { false, true })
        {
            Task<ILockHandle?> Try(TimeSpan wait = default, TimeSpan? ttl = null)
                => write ? a.TryAcquireWriteLockAsync(name, wait, ttl) : a.TryAcquireReadLockAsync(name, wait, ttl);
            Task<ILockHandle> Acquire(TimeSpan? wait = null, TimeSpan? ttl = null)
                => write ? a.AcquireWriteLockAsync(name, wait, ttl) : a.AcquireReadLockAsync(name, wait, ttl);

            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Try(ttl: TimeSpan.Zero));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Try(ttl: a.MinimumTtl - TimeSpan.FromTicks(1)));
            var tooLong = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Try(ttl: a.MaximumTtl + TimeSpan.FromTicks(1)));
            Assert.Contains("at most", tooLong.Message, StringComparison.Ordinal);
            var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Try(wait: TimeSpan.FromTicks(-1)));
            Assert.Equal("wait", negative.ParamName);
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Acquire(wait: LockOptions.MaximumWait + TimeSpan.FromTicks(1)));

            // Both ends of the TTL range are accepted, and the longest bounded wait (returning at once when free).
            var longest = await Try(ttl: a.MaximumTtl);
            Assert.NotNull(longest);
            Assert.True(longest.ValidUntil > DateTimeOffset.UtcNow + a.MaximumTtl * 0.9);
            await longest.ReleaseAsync();
            var shortest = await Try(ttl: a.MinimumTtl);
            Assert.NotNull(shortest);
            await shortest.DisposeAsync();
            var waited = await Acquire(wait: LockOptions.MaximumWait);
            await waited.ReleaseAsync();
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.RenewAsync(name, "token", TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.ReleaseAsync(name, ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.ReleaseAsync(name, new string('t', 129)));
        // Nothing the rejected calls did is left behind: the name is free for a writer.
        await using var free = await a.TryAcquireWriteLockAsync(name);
        Assert.NotNull(free);
    }

    [Fact]
    public async Task A_hold_is_not_reentrant_and_a_reader_cannot_upgrade_in_place()
    {
        var name = NewName("reentry");
        var a = await CreateClientAsync();
        await using var read = await a.AcquireReadLockAsync(name);
        // The same client asking for the write hold waits like anyone else (here: not at all, so null).
        Assert.Null(await a.TryAcquireWriteLockAsync(name, wait: TimeSpan.FromMilliseconds(100)));
        await read.ReleaseAsync();
        await using var write = await a.AcquireWriteLockAsync(name, wait: TimeSpan.FromSeconds(5));
        Assert.Null(await a.TryAcquireWriteLockAsync(name));
    }

    [Fact]
    public async Task Writers_and_readers_at_the_smallest_and_largest_accepted_TTL_exclude_until_release()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.AtTheEndsAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertWriterExcludesAsync(a, b, ttl), ttl => AssertReaderExcludesWritersAsync(a, b, ttl));
    }

    [Fact]
    public async Task For_any_accepted_TTL_a_holder_keeps_out_whom_it_must_until_release_or_expiry()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.OverTheRandomSampleAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertWriterExcludesAsync(a, b, ttl), ttl => AssertReaderExcludesWritersAsync(a, b, ttl));
    }

    [Fact]
    public async Task TTLs_and_waits_that_overflow_careless_arithmetic_are_refused_for_readers_and_writers()
    {
        var a = await CreateClientAsync();
        var name = NewName("overflow");
        foreach (var ttl in TtlLimits.OverflowProneTtls.Where(t => t < a.MinimumTtl || t > a.MaximumTtl))
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireReadLockAsync(name, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireWriteLockAsync(name, ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.RenewAsync(name, "token", ttl)), "ttl");
        }
        foreach (var wait in TtlLimits.OverflowProneWaits)
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.AcquireReadLockAsync(name, wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryAcquireWriteLockAsync(name, wait: wait)), "wait");
        }
        await using var free = await a.TryAcquireWriteLockAsync(name);
        Assert.NotNull(free);
    }

    [Fact]
    public async Task A_wait_of_the_maximum_behind_a_writer_is_a_real_wait_that_a_release_ends()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var name = NewName("wait-max");
        var writer = await a.AcquireWriteLockAsync(name, ttl: TimeSpan.FromSeconds(30));

        var reading = b.AcquireReadLockAsync(name, wait: LockOptions.MaximumWait, ttl: TimeSpan.FromSeconds(30));
        await UntilWaitingAsync(name, 1);
        Assert.False(reading.IsCompleted, reading.Exception?.ToString());
        await writer.ReleaseAsync();
        Assert.Same(reading, await Task.WhenAny(reading, Task.Delay(NoHang)));
        await using var reader = await reading;
        Assert.False(reader.IsLost);
        Assert.Null(await a.TryAcquireWriteLockAsync(name));
    }

    private async Task AssertWriterExcludesAsync(ReaderWriterLockProvider a, ReaderWriterLockProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-writer");
        var asked = Stopwatch.GetTimestamp();
        var writer = await a.AcquireWriteLockAsync(name, wait: NoHang, ttl: ttl);
        Assert.Equal(ttl, writer.Ttl);
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireReadLockAsync(name), ttl, asked, () => writer.IsLost, "a read hold beside a writer");
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireWriteLockAsync(name), ttl, asked, () => writer.IsLost, "a second write hold");
        if (!writer.IsLost)
        {
            var renewed = Stopwatch.GetTimestamp();
            if (await a.RenewAsync(name, writer.HolderToken, ttl))
                await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireWriteLockAsync(name), ttl, renewed, () => writer.IsLost, "a second write hold");
        }

        await writer.ReleaseAsync();
        await using var next = await b.TryAcquireWriteLockAsync(name, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the write hold stayed after its holder released it");
    }

    private async Task AssertReaderExcludesWritersAsync(ReaderWriterLockProvider a, ReaderWriterLockProvider b, TimeSpan ttl)
    {
        var name = NewName("ttl-reader");
        var asked = Stopwatch.GetTimestamp();
        var reader = await a.AcquireReadLockAsync(name, wait: NoHang, ttl: ttl);
        Assert.Equal(ttl, reader.Ttl);
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryAcquireWriteLockAsync(name), ttl, asked, () => reader.IsLost, "a write hold beside a reader");
        // Readers share: a second one gets in at once, whatever the first one's TTL.
        await using (var second = await b.TryAcquireReadLockAsync(name, ttl: TimeSpan.FromSeconds(30)))
            Assert.True(second is not null, $"TTL {ttl}: a second reader was kept out by a reader");

        await reader.ReleaseAsync();
        await using var next = await b.TryAcquireWriteLockAsync(name, wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: the read hold stayed after its holder released it");
    }
}
