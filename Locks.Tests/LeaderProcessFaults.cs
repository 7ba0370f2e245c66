using System.Diagnostics;
using Coord.Locks.Tests.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests;

/// <summary>
/// The crash and pause checks of an election whose leader is another process (<see cref="LeaderProcess"/>), the same on
/// every backend: SIGKILL frees the election within the leader's TTL + 1 s to a candidate with a higher term; SIGSTOP past
/// the TTL does too, and the stalled leader, once resumed, hears Lost and has its late write refused by term.
/// </summary>
internal static class LeaderProcessFaults
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static async Task KilledLeaderIsSucceededAsync(LeaderProcess leader, string election, LeaderElectionProvider candidate, LeaderElectionProvider watcher, TimeSpan ttl, ITestOutputHelper output)
    {
        using var stop = new CancellationTokenSource();
        await using var observed = watcher.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await observed.MoveNextAsync());
        Assert.Equal(new ElectionLeader(election, "process", leader.Term), observed.Current);
        var campaign = candidate.CampaignAsync(election, "successor", wait: TimeSpan.FromSeconds(60));

        // Outlive a renewal first, so the lease or session waited out is one the dead process kept alive.
        await Task.Delay(ttl);
        Assert.False(campaign.IsCompleted, "a candidate was elected while the leader process lived");
        leader.Kill();
        var sinceKill = Stopwatch.StartNew();
        await using var successor = await campaign.WaitAsync(Bound);
        var took = sinceKill.Elapsed;
        output.WriteLine($"elected {took.TotalMilliseconds:0} ms after SIGKILL of the leader (TTL {ttl.TotalMilliseconds:0} ms); terms {leader.Term} -> {successor.Term}");

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"elected {took.TotalMilliseconds:0} ms after the kill; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(successor.Term > leader.Term);
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(new ElectionLeader(election, "successor", successor.Term), observed.Current);
        await stop.CancelAsync();
    }

    /// <summary><paramref name="write"/> writes a payload to the test's term-fenced register with a term (true when accepted); <paramref name="read"/> reads it.</summary>
    public static async Task PausedLeaderIsRefusedByTermAsync(
        LeaderProcess leader, string election, string register, LeaderElectionProvider candidate, TimeSpan ttl,
        Func<long, string, Task<bool>> write, Func<Task<(long? Term, string? Payload)>> read, ITestOutputHelper output)
    {
        Assert.True(await leader.WriteAsync(register, "from-the-first-leader", TimeSpan.FromSeconds(10)));
        var campaign = candidate.CampaignAsync(election, "successor", wait: TimeSpan.FromSeconds(60));

        leader.Pause();
        var sincePause = Stopwatch.StartNew();
        ILeadership successor;
        try
        {
            successor = await campaign.WaitAsync(Bound);
            output.WriteLine($"elected {sincePause.ElapsedMilliseconds} ms after SIGSTOP of the leader (TTL {ttl.TotalMilliseconds:0} ms); terms {leader.Term} -> {successor.Term}");
            Assert.True(sincePause.Elapsed <= ttl + TimeSpan.FromSeconds(1), $"elected {sincePause.ElapsedMilliseconds} ms after the leader stalled; TTL is {ttl.TotalMilliseconds:0} ms");
            Assert.True(successor.Term > leader.Term);
            Assert.True(await write(successor.Term, "from-the-successor"));
        }
        finally
        {
            leader.Resume();
        }

        // The stalled leader wakes up, learns it lost, and the write it had decided on before stalling is refused.
        Assert.Equal("LOST", await leader.NextLineAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await leader.WriteAsync(register, "late-from-the-first-leader", TimeSpan.FromSeconds(10)), "the deposed leader's late write was accepted");
        Assert.Equal((successor.Term, "from-the-successor"), await read());
        Assert.Equal(new ElectionLeader(election, "successor", successor.Term), await candidate.GetLeaderAsync(election));
        await successor.DisposeAsync();
    }
}
