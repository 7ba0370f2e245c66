using Xunit.Abstractions;

namespace Coord.Locks.Tests;

/// <summary>
/// Candidates on several clients campaign, lead briefly and resign, round after round, while the test kills a member of
/// the backend's cluster: no two leaders at once (<see cref="OverlapDetector"/>; a leader that hears Lost leaves at
/// once), terms strictly rising in the order leaders were elected, and leaders elected after the kill, and after the
/// cluster has a leader of its own again, with higher terms than every leader before.
/// </summary>
internal static class ElectionUnderClusterFault
{
    private const int Rounds = 15;

    /// <param name="kill">Kills a member of the cluster; returns which.</param>
    /// <param name="recovered">Returns once the cluster has a new leader of its own.</param>
    public static async Task RunAsync(IReadOnlyList<LeaderElectionProvider> clients, string election, TimeSpan ttl, Func<Task<string>> kill, Func<Task> recovered, ITestOutputHelper output)
    {
        const int Before = 0, AfterKill = 1, AfterRecovery = 2;
        var leading = new OverlapDetector();
        var terms = new List<(long Term, int Phase)>();
        var phase = Before;
        var errors = 0;
        var lost = 0;
        using var stop = new CancellationTokenSource();

        async Task Candidate(LeaderElectionProvider client, string value)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var leadership = await client.CampaignAsync(election, value, wait: TimeSpan.FromSeconds(30), ttl: ttl, cancellationToken: stop.Token);
                    leading.Enter();
                    lock (terms)
                        terms.Add((leadership.Term, Volatile.Read(ref phase)));
                    // Lead for a moment; a leadership that hears Lost stops acting as leader at once.
                    await Task.WhenAny(Task.Delay(20, CancellationToken.None), Task.Delay(Timeout.Infinite, leadership.Lost));
                    if (leadership.IsLost)
                        Interlocked.Increment(ref lost);
                    leading.Leave();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (LockException)
                {
                    // The cluster is choosing a leader of its own: campaign again.
                    Interlocked.Increment(ref errors);
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }

        int Count(int inPhase)
        {
            lock (terms)
                return terms.Count(t => t.Phase == inPhase);
        }

        var candidates = Enumerable.Range(0, clients.Count * 2).Select(i => Task.Run(() => Candidate(clients[i % clients.Count], $"candidate-{i}"))).ToArray();
        await UntilAsync(() => Count(Before) >= Rounds, TimeSpan.FromSeconds(60), "leaders before the kill");
        var member = await kill();
        Volatile.Write(ref phase, AfterKill);
        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        await recovered();
        var recoveredAfter = sinceKill.Elapsed;
        Volatile.Write(ref phase, AfterRecovery);
        await UntilAsync(() => Count(AfterRecovery) >= Rounds, TimeSpan.FromSeconds(90), "leaders after the cluster recovered");
        await stop.CancelAsync();
        await Task.WhenAll(candidates);

        (long Term, int Phase)[] elected;
        lock (terms)
            elected = [.. terms];
        var before = elected.Where(t => t.Phase == Before).Select(t => t.Term).ToArray();
        var after = elected.Where(t => t.Phase != Before).Select(t => t.Term).ToArray();
        output.WriteLine($"killed {member}; cluster leader again after {recoveredAfter.TotalMilliseconds:0} ms; {before.Length} leaders before (terms {before.Min()}..{before.Max()}), " +
            $"{Count(AfterKill)} during the recovery, {Count(AfterRecovery)} after it (terms {after.Min()}..{after.Max()}); {errors} campaign errors, {lost} leaderships lost; overlaps {leading.Overlaps}");
        Assert.Equal(0, leading.Overlaps);
        for (var i = 1; i < elected.Length; i++)
            Assert.True(elected[i].Term > elected[i - 1].Term, $"leader {i} had term {elected[i].Term}, not above the one before it ({elected[i - 1].Term})");
        Assert.True(after.Min() > before.Max(), "a leader elected after the kill had a term no higher than one before it");
    }

    private static async Task UntilAsync(Func<bool> condition, TimeSpan bound, string what)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"too few {what} within {bound.TotalSeconds:0} s");
            await Task.Delay(50);
        }
    }
}
