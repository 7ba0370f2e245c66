using Coord.Locks.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Locks.Tests.InMemory;

/// <summary>The in-memory store follows <see cref="LockOptions.TimeProvider"/> unless given a store of its own.</summary>
public sealed class InMemoryLockClockTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Without_a_store_a_lease_expires_on_the_options_clock_and_providers_of_that_clock_exclude_each_other()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using var first = new InMemoryLock(new InMemoryLockOptions { TimeProvider = clock });
        await using var second = new InMemoryLock(new InMemoryLockOptions { TimeProvider = clock });

        var lease = await first.TryAcquireLeaseAsync("clocked", ttl: Ttl);
        Assert.NotNull(lease);
        // ValidUntil is read on the fake clock (less the provider's safety margin), not the machine's.
        Assert.InRange(lease.ValidUntil, clock.GetUtcNow() + Ttl - TimeSpan.FromSeconds(1), clock.GetUtcNow() + Ttl);
        Assert.Null(await second.TryAcquireLeaseAsync("clocked", ttl: Ttl));

        clock.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Null(await second.TryAcquireLeaseAsync("clocked", ttl: Ttl));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var taken = await second.TryAcquireLeaseAsync("clocked", ttl: Ttl);
        Assert.NotNull(taken);
        Assert.True(taken.FencingToken > lease.FencingToken);
        Assert.False(await first.RenewAsync("clocked", lease.HolderToken));
    }

    [Fact]
    public async Task Providers_on_different_clocks_use_different_default_stores()
    {
        var stopped = new FakeTimeProvider();
        await using var onFake = new InMemoryLock(new InMemoryLockOptions { TimeProvider = stopped });
        await using var onSystem = new InMemoryLock(new InMemoryLockOptions());

        var name = $"two-clocks-{Guid.NewGuid():N}";
        Assert.NotNull(await onFake.TryAcquireLeaseAsync(name, ttl: Ttl));
        Assert.NotNull(await onSystem.TryAcquireLeaseAsync(name, ttl: Ttl));
        Assert.Same(InMemoryLockStore.Shared, new InMemoryLockOptions().Store);
        Assert.NotSame(InMemoryLockStore.Shared, new InMemoryLockOptions { TimeProvider = stopped }.Store);
    }

    [Fact]
    public void A_store_on_another_clock_than_the_options_is_refused_naming_both_settings()
    {
        var options = new InMemoryLockOptions { TimeProvider = new FakeTimeProvider(), Store = new InMemoryLockStore(TimeProvider.System) };

        var error = Assert.Throws<ArgumentException>(() => new InMemoryLock(options));
        Assert.Equal("Store", error.ParamName);
        Assert.Contains("TimeProvider", error.Message);
    }

    [Fact]
    public async Task A_store_made_with_the_options_clock_is_accepted_and_used()
    {
        var clock = new FakeTimeProvider();
        var store = new InMemoryLockStore(clock);
        await using var provider = new InMemoryLock(new InMemoryLockOptions { TimeProvider = clock, Store = store });

        await using var held = await provider.AcquireAsync("own-store");
        Assert.Equal(1, store.ActiveNames);
        Assert.Throws<ArgumentNullException>(() => new InMemoryLockStore(null!));
    }
}
