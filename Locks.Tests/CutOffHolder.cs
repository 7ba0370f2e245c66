using System.Diagnostics;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests;

/// <summary>
/// The guarantee a session backend owes a holder cut off from the servers: Lost fires on every one of
/// its holds before the servers expire its session and grant any of those locks to another client.
/// </summary>
internal static class CutOffHolder
{
    /// <summary>
    /// Has <paramref name="other"/> wait for each of <paramref name="names"/> (held by <paramref name="held"/>),
    /// runs <paramref name="untilQueued"/>, pauses <paramref name="holdersMember"/> (the only member the holder
    /// knows), and asserts that each hold was lost before the other client got its lock, with a higher fencing token.
    /// </summary>
    public static async Task AssertLostBeforeAnyoneElseIsGrantedAsync(
        IReadOnlyList<string> names, IReadOnlyList<ILockHandle> held, ILock other, Func<Task> untilQueued,
        ServerNode holdersMember, TimeSpan bound, ITestOutputHelper output)
    {
        var lostAt = new long[names.Count];
        for (var i = 0; i < held.Count; i++)
        {
            var index = i;
            held[i].Lost.Register(() => Volatile.Write(ref lostAt[index], Stopwatch.GetTimestamp()));
        }
        var waiting = names.Select(async name =>
        {
            var next = await other.AcquireAsync(name, wait: bound, ttl: TimeSpan.FromSeconds(10));
            return (Next: next, At: Stopwatch.GetTimestamp());
        }).ToArray();
        await untilQueued();
        Assert.DoesNotContain(waiting, w => w.IsCompleted);

        holdersMember.Pause();
        try
        {
            var granted = await Task.WhenAll(waiting).WaitAsync(bound);
            for (var i = 0; i < names.Count; i++)
            {
                Assert.True(held[i].IsLost, $"the cut-off holder of '{names[i]}' was not told it lost the lock");
                Assert.True(Volatile.Read(ref lostAt[i]) < granted[i].At, $"Lost fired on '{names[i]}' only after another client held it");
                Assert.True(granted[i].Next.FencingToken > held[i].FencingToken);
                output.WriteLine($"{names[i]}: Lost {Stopwatch.GetElapsedTime(Volatile.Read(ref lostAt[i]), granted[i].At).TotalMilliseconds:0} ms before the next holder got it");
                await granted[i].Next.ReleaseAsync();
            }
        }
        finally
        {
            holdersMember.Resume();
        }
        foreach (var handle in held)
            await handle.DisposeAsync();
    }
}
