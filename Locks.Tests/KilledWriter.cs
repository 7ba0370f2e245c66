using System.Diagnostics;

namespace Coord.Locks.Tests;

/// <summary>The crash test of every reader-writer lock backend: a writer in another process dies holding the write lock.</summary>
internal static class KilledWriter
{
    /// <summary>
    /// A holder process in <paramref name="mode"/> (e.g. <c>redis-writer</c>) takes the write lock with <paramref name="ttl"/>,
    /// two readers of <paramref name="client"/> queue behind it, it renews past one TTL and is killed with SIGKILL: both
    /// readers must get in within <paramref name="ttl"/> + 1 s of the kill, with fences above the dead writer's.
    /// Returns a line describing what happened.
    /// </summary>
    /// <param name="client">The readers' provider.</param>
    /// <param name="mode">The holder's writer mode.</param>
    /// <param name="connection">The holder's connection, in its backend's form.</param>
    /// <param name="ttl">The holder's TTL: the lease (or session) a crash is freed by.</param>
    public static async Task<string> AssertReadersGetInWithinTtlAsync(ReaderWriterLockProvider client, string mode, string connection, TimeSpan ttl)
    {
        var name = $"crash/rw/{Guid.NewGuid():N}";
        await using var writer = await LockHolderProcess.StartAsync(mode, connection, name, ttl, TimeSpan.FromSeconds(60));
        Assert.Null(await client.TryAcquireReadLockAsync(name));
        var first = client.AcquireReadLockAsync(name, wait: TimeSpan.FromSeconds(60));
        var second = client.AcquireReadLockAsync(name, wait: TimeSpan.FromSeconds(60));

        // Outlive a renewal first, so the lease waited out is one the dead process renewed.
        await Task.Delay(ttl);
        Assert.False(first.IsCompleted || second.IsCompleted, "a reader got in while the writer process lived");
        Assert.Null(await client.TryAcquireWriteLockAsync(name));
        writer.Kill();
        var sinceKill = Stopwatch.StartNew();
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"the readers got in {took.TotalMilliseconds:0} ms after the writer was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > writer.FencingToken);
        return $"{mode}: readers in {took.TotalMilliseconds:0} ms after SIGKILL of the writer (TTL {ttl.TotalMilliseconds:0} ms); writer fence {writer.FencingToken}, reader fences {a.FencingToken}, {b.FencingToken}";
    }
}
