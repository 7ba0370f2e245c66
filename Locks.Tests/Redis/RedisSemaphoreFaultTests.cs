using System.Diagnostics;
using Coord.Locks.Redis;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisSemaphoreFaultTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_process_holding_every_permit_frees_them_within_TTL_plus_1_s_to_a_waiter_with_higher_fences()
    {
        const int maxCount = 2;
        var name = $"crash/sem/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var client = new RedisSemaphore(new RedisLockOptions { Configuration = redis.Server.ConnectionString });
        await using var holder = await LockHolderProcess.StartAsync("redis-semaphore", redis.Server.ConnectionString, name, ttl, TimeSpan.FromSeconds(60), count: maxCount);
        Assert.Equal(maxCount, holder.FencingTokens.Count);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));

        // Outlive a renewal first, so the leases waited out are ones the dead process renewed.
        await Task.Delay(ttl);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));
        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        var first = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        var second = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"both permits came free {took.TotalMilliseconds:0} ms after the holder was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > holder.FencingTokens.Max());
    }
}
