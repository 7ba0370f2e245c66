using System.Diagnostics;

namespace Coord.Locks.Tests;

/// <summary>
/// Many clients on one lock, each acquire waiting only 1–100 ms (or cancelled after that long), so waits
/// keep running out at the very moment a release hands the lock over: the load that would strand a lock
/// whose abandon step races the hand-off. Works on any <see cref="ILock"/>, with or without fencing.
/// </summary>
internal static class TinyWaits
{
    /// <summary>How a client stops waiting: its wait argument runs out, or its cancellation token fires.</summary>
    public enum GiveUp
    {
        ByWait,
        ByCancellation,
    }

    /// <summary>One grant: <see cref="Stopwatch.GetTimestamp"/> when it arrived, and its fencing token (null where the backend has none).</summary>
    public readonly record struct Grant(long At, long? Fence);

    /// <summary>What a run saw: every grant, the waits given up, and how often more clients held it at once than it admits.</summary>
    public sealed record Run(IReadOnlyList<Grant> Grants, int GaveUp, int Overlaps);

    /// <summary>One client's acquire: with a wait, null when it runs out; with none, it waits until the token is cancelled.</summary>
    public delegate Task<ILockHandle?> Acquire(TimeSpan? wait, CancellationToken cancellationToken);

    /// <summary>Runs every client, each asking over and over and releasing at once, until <paramref name="duration"/> has passed.</summary>
    public static Task<Run> RunAsync(IReadOnlyList<ILock> clients, string name, TimeSpan ttl, TimeSpan duration, GiveUp giveUp = GiveUp.ByWait)
        => RunAsync([.. clients.Select(client => (Acquire)(async (wait, ct) => wait is { } w
                ? await client.TryAcquireAsync(name, w, ttl, ct)
                : await client.AcquireAsync(name, ttl: ttl, cancellationToken: ct)))],
            capacity: 1, duration, giveUp);

    /// <summary>
    /// Runs every client (a semaphore's, or any acquire) as the lock overload does; <see cref="Run.Overlaps"/>
    /// then counts entries while <paramref name="capacity"/> others were inside.
    /// </summary>
    public static async Task<Run> RunAsync(IReadOnlyList<Acquire> clients, int capacity, TimeSpan duration, GiveUp giveUp = GiveUp.ByWait)
    {
        var grants = new List<Grant>();
        var inside = new OccupancyDetector(capacity);
        var gaveUp = 0;
        var run = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            var random = new Random(1000 + i);
            while (run.Elapsed < duration)
            {
                var wait = TimeSpan.FromMilliseconds(random.Next(1, 101));
                var held = await AcquireAsync(client, wait, giveUp);
                if (held is null)
                {
                    Interlocked.Increment(ref gaveUp);
                    continue;
                }
                inside.Enter();
                lock (grants)
                    grants.Add(new Grant(Stopwatch.GetTimestamp(), held.HasFencingToken ? held.FencingToken : null));
                inside.Leave();
                await held.ReleaseAsync();
            }
        })));
        return new Run(grants, gaveUp, inside.Violations);
    }

    private static async Task<ILockHandle?> AcquireAsync(Acquire client, TimeSpan wait, GiveUp giveUp)
    {
        if (giveUp == GiveUp.ByWait)
            return await client(wait, CancellationToken.None);
        using var cancel = new CancellationTokenSource(wait);
        try
        {
            return await client(null, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// No two holders at once, more grants than clients, some waits given up (else the run tested
    /// nothing), and no gap between consecutive grants near the TTL: a lock stranded by a waiter that
    /// gave up at its hand-off stays held by nobody for a whole TTL.
    /// </summary>
    public static void AssertServedWithoutStrandedLocks(Run run, int clients, TimeSpan ttl)
    {
        Assert.Equal(0, run.Overlaps);
        Assert.True(run.Grants.Count > clients, $"only {run.Grants.Count} grants for {clients} clients");
        Assert.True(run.GaveUp > 0, "no wait ran out: the run did not exercise giving up");
        var widest = LongestGap(run.Grants);
        Assert.True(widest < ttl / 2, $"a gap of {widest.TotalMilliseconds:0} ms between grants (TTL {ttl.TotalMilliseconds:0} ms): a hand-off stranded the lock");
    }

    /// <summary>Every fencing token from the first to the last went to a client: none was issued to a waiter that then walked away.</summary>
    public static void AssertEveryFenceReachedAClient(Run run)
    {
        var fences = run.Grants.Select(g => g.Fence ?? throw new InvalidOperationException("a grant without a fencing token")).Order().ToArray();
        Assert.NotEmpty(fences);
        Assert.Equal(Enumerable.Range(0, fences.Length).Select(i => fences[0] + i), fences);
    }

    /// <summary>The widest time between two consecutive grants.</summary>
    public static TimeSpan LongestGap(IReadOnlyList<Grant> grants)
    {
        var times = grants.Select(g => g.At).Order().ToArray();
        return times.Zip(times.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b)).DefaultIfEmpty(TimeSpan.Zero).Max();
    }
}
