using System.Diagnostics;
using Coord.Locks.ZooKeeper;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperSemaphoreFaultTests(ZooKeeperServerFixture zookeeper, ITestOutputHelper output) : IClassFixture<ZooKeeperServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_process_holding_every_permit_frees_them_within_its_session_timeout_plus_1_s_with_higher_fences()
    {
        const int maxCount = 2;
        var name = $"crash/sem/{Guid.NewGuid():N}";
        // A step of the session pool (100 ms × 2^5) inside the test server's bounds (1 to 10 s): the holder's session timeout is exactly this.
        var sessionTimeout = TimeSpan.FromMilliseconds(3200);
        await using var client = new ZooKeeperSemaphore(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, MinimumSessionTimeout = Coord.Testing.ZooKeeperNode.MinimumSessionTimeout });
        await using var holder = await LockHolderProcess.StartAsync("zookeeper-semaphore", zookeeper.Server.ConnectString, name, sessionTimeout, TimeSpan.FromSeconds(60), count: maxCount);
        Assert.Equal(maxCount, holder.FencingTokens.Count);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));

        // Outlive a renewal first, so the session waited out is one the dead process kept alive.
        await Task.Delay(sessionTimeout);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));
        var first = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        var second = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;
        output.WriteLine($"both permits free {took.TotalMilliseconds:0} ms after SIGKILL (session timeout {sessionTimeout.TotalMilliseconds:0} ms)");

        Assert.True(took <= sessionTimeout + TimeSpan.FromSeconds(1), $"both permits came free {took.TotalMilliseconds:0} ms after the holder was killed; its session timeout is {sessionTimeout.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > holder.FencingTokens.Max());
    }
}
