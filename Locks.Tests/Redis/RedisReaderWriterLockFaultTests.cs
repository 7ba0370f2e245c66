using System.Diagnostics;
using Coord.Locks.Redis;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisReaderWriterLockFaultTests(RedisServerFixture redis, ITestOutputHelper output) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_writer_process_lets_the_waiting_readers_in_within_TTL_plus_1_s_with_higher_fences()
    {
        var name = $"crash/rw/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var client = new RedisReaderWriterLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString });
        await using var writer = await LockHolderProcess.StartAsync("redis-writer", redis.Server.ConnectionString, name, ttl, TimeSpan.FromSeconds(60));
        Assert.Null(await client.TryAcquireReadLockAsync(name));

        // Outlive a renewal first, so the lease waited out is one the dead process renewed.
        await Task.Delay(ttl);
        Assert.Null(await client.TryAcquireReadLockAsync(name));
        Assert.Null(await client.TryAcquireWriteLockAsync(name));
        writer.Kill();
        var sinceKill = Stopwatch.StartNew();
        var first = client.AcquireReadLockAsync(name, wait: TimeSpan.FromSeconds(30));
        var second = client.AcquireReadLockAsync(name, wait: TimeSpan.FromSeconds(30));
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;
        output.WriteLine($"readers in {took.TotalMilliseconds:0} ms after SIGKILL of the writer (TTL {ttl.TotalMilliseconds:0} ms); writer fence {writer.FencingToken}, reader fences {a.FencingToken}, {b.FencingToken}");

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"the readers got in {took.TotalMilliseconds:0} ms after the writer was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > writer.FencingToken);
    }
}
