using System.Diagnostics;

namespace Coord.Locks.Tests;

/// <summary>The crash test of every reader-writer lock backend: a writer in another process dies holding the write lock.</summary>
internal static class KilledWriter
{
    /// <summary>
    /// A holder process in <paramref name="mode"/> (e.g. <c>redis-writer</c>) takes the write lock with a 3 s TTL, renews it
    /// past one TTL, is killed with SIGKILL, and two readers of <paramref name="client"/> must both get in within TTL + 1 s,
    /// with fences above the dead writer's. Returns a line describing what happened.
    /// </summary>
    public static async Task<string> AssertReadersGetInWithinTtlAsync(ReaderWriterLockProvider client, string mode, string connection)
    {
        var name = $"crash/rw/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var writer = await LockHolderProcess.StartAsync(mode, connection, name, ttl, TimeSpan.FromSeconds(60));
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

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"the readers got in {took.TotalMilliseconds:0} ms after the writer was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > writer.FencingToken);
        return $"readers in {took.TotalMilliseconds:0} ms after SIGKILL of the writer (TTL {ttl.TotalMilliseconds:0} ms); writer fence {writer.FencingToken}, reader fences {a.FencingToken}, {b.FencingToken}";
    }
}
