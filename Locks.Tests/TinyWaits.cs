namespace Coord.Locks.Tests;

/// <summary>
/// Many clients on one lock, each acquire waiting only 1–100 ms, so waits keep running out at the very
/// moment a release hands the lock over: the load that would strand a lock whose abandon step races the hand-off.
/// </summary>
internal static class TinyWaits
{
    /// <summary>Runs every client until <paramref name="duration"/> has passed; returns the grants (local tick, fencing token or null) and the overlaps seen.</summary>
    public static async Task<(IReadOnlyList<(long At, long? Fence)> Grants, int Overlaps)> RunAsync(IReadOnlyList<ILock> clients, string name, TimeSpan ttl, TimeSpan duration)
    {
        var grants = new List<(long At, long? Fence)>();
        var overlap = new OverlapDetector();
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            var random = new Random(i);
            while (!stop.IsCancellationRequested)
            {
                var held = await client.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(random.Next(1, 101)), ttl: ttl);
                if (held is null)
                    continue;
                overlap.Enter();
                lock (grants)
                    grants.Add((Environment.TickCount64, held.HasFencingToken ? held.FencingToken : null));
                overlap.Leave();
                await held.ReleaseAsync();
            }
        })));
        return (grants, overlap.Overlaps);
    }

    /// <summary>
    /// No two holders at once, more grants than clients, and no gap between grants near the TTL (a lock
    /// stranded by a waiter that gave up at its hand-off stays held by nobody for a whole TTL).
    /// </summary>
    public static void AssertServedWithoutStrandedLocks(IReadOnlyList<(long At, long? Fence)> grants, int overlaps, int clients, TimeSpan ttl)
    {
        Assert.Equal(0, overlaps);
        Assert.True(grants.Count > clients, $"only {grants.Count} grants for {clients} clients");
        var times = grants.Select(g => g.At).Order().ToArray();
        var longestGap = times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
        Assert.True(longestGap < ttl.TotalMilliseconds / 2, $"a gap of {longestGap} ms between grants (TTL {ttl.TotalMilliseconds} ms): a hand-off stranded the lock");
    }
}
