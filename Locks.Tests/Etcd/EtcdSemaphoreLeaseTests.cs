using Coord.Locks.Etcd;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdSemaphoreLeaseTests(EtcdServerFixture etcd) : IClassFixture<EtcdServerFixture>
{
    private EtcdSemaphore Client() => new(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl], Prefix = EtcdServerFixture.Prefix });

    [Fact]
    public async Task Bare_permits_take_renew_release_by_token_and_a_timed_out_one_leaves_nothing()
    {
        var name = $"bare/{Guid.NewGuid():N}";
        await using var a = Client();
        await using var b = Client();
        var one = await a.TryAcquireLeaseAsync(name, 2, ttl: TimeSpan.FromSeconds(10));
        var two = await a.TryAcquireLeaseAsync(name, 2, ttl: TimeSpan.FromSeconds(10));
        Assert.NotNull(one);
        Assert.NotNull(two);
        Assert.True(two.FencingToken > one.FencingToken);
        var (line, _) = await EtcdSemaphoreLine.ReadAsync(etcd.Raw, name);
        Assert.Equal(2, line.Select(kv => kv.Lease).Distinct().Count()); // a lease each
        Assert.Null(await b.TryAcquireLeaseAsync(name, 2, wait: TimeSpan.FromMilliseconds(300), ttl: TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await EtcdSemaphoreLine.WaitingAsync(etcd.Raw, name));
        await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => b.TryAcquireLeaseAsync(name, 3));
        Assert.True(await b.RenewAsync(name, one.HolderToken, TimeSpan.FromSeconds(10)));
        var waiting = b.AcquireAsync(name, 2, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.True(await b.ReleaseAsync(name, one.HolderToken));
        await using var next = await waiting;
        Assert.True(next.FencingToken > two.FencingToken);
        Assert.True(await a.ReleaseAsync(name, two.HolderToken));
        Assert.False(await a.ReleaseAsync(name, two.HolderToken));
    }
}
