using System.Diagnostics;

namespace Coord.Stress.IdScenarios;

/// <summary>
/// IDs per second of one generator with N threads calling it at once, and a duplicate check over every
/// ID kept (up to <c>maxKept</c> in all, so a fast generator cannot exhaust memory; generation goes on
/// uncounted-for-duplicates after that).
/// </summary>
public static class IdScenarioRunner
{
    public static async Task<IdScenarioStats> RunAsync(IdSource source, int threads, TimeSpan duration, long maxKept, CancellationToken cancellationToken)
    {
        if (threads < 1 || threads > 256)
            throw new ArgumentException($"Threads must be between 1 and 256; it was {threads}.", nameof(threads));
        if (duration <= TimeSpan.Zero)
            throw new ArgumentException($"Duration must be more than 0; it was {duration}.", nameof(duration));
        // Warm-up: let the JIT reach its optimised code (and a segment generator load its first segments) before timing.
        var warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp) < TimeSpan.FromMilliseconds(200))
            source.Next();

        var perThread = (int)Math.Min(int.MaxValue / 32, Math.Max(1, maxKept / threads));
        var kept = new UInt128[threads][];
        var keptCount = new int[threads];
        var generated = new long[threads];
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var stop = 0;
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var mine = kept[t] = new UInt128[perThread];
            var n = 0;
            long count = 0;
            start.SignalAndWait();
            while (Volatile.Read(ref stop) == 0)
            {
                // Checking the flag every 64 IDs keeps the loop's own cost out of the generator's numbers.
                for (var i = 0; i < 64; i++)
                {
                    UInt128 id;
                    try
                    {
                        id = source.Next();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        lock (errors)
                            errors[e.GetType().Name] = errors.GetValueOrDefault(e.GetType().Name) + 1;
                        continue;
                    }
                    if (n < mine.Length)
                        mine[n++] = id;
                    count++;
                }
            }
            keptCount[t] = n;
            generated[t] = count;
        }) { IsBackground = true, Name = $"ids-{t}" }).ToArray();
        foreach (var worker in workers)
            worker.Start();
        start.SignalAndWait(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(duration, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref stop, 1);
        foreach (var worker in workers)
            worker.Join();
        var elapsed = Stopwatch.GetElapsedTime(started);

        var all = new UInt128[keptCount.Sum()];
        var offset = 0;
        for (var t = 0; t < threads; t++)
        {
            Array.Copy(kept[t], 0, all, offset, keptCount[t]);
            offset += keptCount[t];
            kept[t] = [];
        }
        Array.Sort(all);
        long duplicates = 0;
        for (var i = 1; i < all.Length; i++)
            if (all[i] == all[i - 1])
                duplicates++;
        var total = generated.Sum();
        var stats = new IdScenarioStats
        {
            Generator = source.Name,
            Threads = threads,
            Ids = total,
            ElapsedSeconds = elapsed.TotalSeconds,
            Checked = all.Length,
            Duplicates = duplicates,
            Errors = errors,
        };
        if (all.Length < total)
            stats.Notes.Add($"duplicate check over the first {all.Length} of {total} IDs (memory cap)");
        return stats;
    }
}
