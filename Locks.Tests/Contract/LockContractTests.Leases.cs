namespace Coord.Locks.Tests.Contract;

public abstract partial class LockContractTests
{
    [Fact]
    public async Task A_bare_lease_is_not_renewed_by_anyone_and_frees_itself_after_its_TTL()
    {
        var name = NewName("lease");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var lease = await a.TryAcquireLeaseAsync(name, ttl: ShortTtl);
        Assert.NotNull(lease);
        Assert.Equal(name, lease.Name);
        Assert.True(lease.ValidUntil > DateTimeOffset.UtcNow);
        Assert.True(lease.ValidUntil <= DateTimeOffset.UtcNow + ShortTtl);
        Assert.Null(await b.TryAcquireAsync(name));

        // Renewed by token from another client (or, where the backend cannot do that, from its own
        // client, the other one saying so with a LockException), it outlives its first TTL...
        // ...which the provider's type says up front.
        Assert.Equal(CanRenewFromAnotherClient, a.RenewsFromAnyProcess);
        await Task.Delay(ShortTtl / 2);
        if (!CanRenewFromAnotherClient)
            await Assert.ThrowsAnyAsync<LockException>(() => b.RenewAsync(name, lease.HolderToken, ShortTtl));
        Assert.True(await (CanRenewFromAnotherClient ? b : a).RenewAsync(name, lease.HolderToken, ShortTtl));
        await Task.Delay(ShortTtl * 0.7);
        Assert.Null(await b.TryAcquireAsync(name));

        // ...and once nobody renews it, it frees itself.
        await using var next = await b.AcquireAsync(name, wait: ShortTtl * 3 + TimeSpan.FromSeconds(10));
        Assert.NotNull(next);
        Assert.False(await a.ReleaseAsync(name, lease.HolderToken));
        Assert.False(next.IsLost);
    }

    [Fact]
    public async Task Status_shows_whether_the_lock_is_held_but_never_the_holder_token()
    {
        var name = NewName("status");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        Assert.False((await b.GetStatusAsync(name)).Held);

        var held = await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var status = await b.GetStatusAsync(name);
        Assert.True(status.Held);
        Assert.Equal(name, status.Name);
        Assert.DoesNotContain(held.HolderToken, status.ToString(), StringComparison.Ordinal);
        if (SupportsFencing && status.FencingToken is { } fence)
            Assert.Equal(held.FencingToken, fence);
        if (status.ExpiresIn is { } left)
            Assert.InRange(left, TimeSpan.Zero, TimeSpan.FromSeconds(30));

        await held.ReleaseAsync();
        Assert.False((await b.GetStatusAsync(name)).Held);
    }
}
