using HdrHistogram;

namespace Coord.Stress.Engine;

/// <summary>
/// Checks recorded critical sections after the run (gathered from one process or several): on each
/// name, at most <c>capacity</c> sections may be open at any instant (1 for a lock, N for a semaphore of
/// N permits), and fencing tokens must rise. Hand-offs between different clients are measured the same
/// way as <see cref="ExclusionMonitor"/> does live.
/// </summary>
/// <remarks>
/// A section runs from when the acquire call returned to just before the release was sent, so it lies
/// inside the backend's own hold: more than <c>capacity</c> of them open at once means the backend really
/// admitted too many, never an artefact of measuring. At equal timestamps a leaving section counts as gone
/// before an entering one. Token order: a lock's sections follow one another, so their tokens rise in entry
/// order. A semaphore's grants overlap and may return in any order; what must hold is that a grant asked for
/// after another grant had returned carries a higher token, and that no two grants of a name share one.
/// </remarks>
public static class IntervalAnalysis
{
    /// <param name="Overlaps">Entries made while <c>capacity</c> sections of the name were already open.</param>
    /// <param name="PeakInUse">Most sections of one name open at once.</param>
    public sealed record Result(long Overlaps, long FencesOutOfOrder, LongHistogram Handoffs, long PeakInUse);

    public static Result Analyze(IEnumerable<HoldInterval> intervals, int capacity = 1)
    {
        long overlaps = 0, fences = 0, peak = 0;
        var handoffs = Histograms.Create();
        foreach (var byName in intervals.GroupBy(i => i.NameIndex))
        {
            var sorted = byName.OrderBy(i => i.Acquired).ToArray();
            var open = new PriorityQueue<long, long>(); // release timestamps of the sections still open
            var previous = (HoldInterval?)null;
            foreach (var interval in sorted)
            {
                while (open.TryPeek(out _, out var released) && released <= interval.Acquired)
                    open.Dequeue();
                if (open.Count >= capacity)
                    overlaps++;
                open.Enqueue(interval.Released, interval.Released);
                peak = Math.Max(peak, open.Count);
                if (previous is { } p && p.Client != interval.Client && interval.WaitStarted <= p.Released && interval.Acquired >= p.Released)
                    Histograms.RecordTicks(handoffs, interval.Acquired - p.Released);
                previous = interval;
            }
            fences += capacity == 1 ? FencesOutOfEntryOrder(sorted) : FencesOutOfGrantOrder(sorted);
        }
        return new Result(overlaps, fences, handoffs, peak);
    }

    /// <summary>Sections of one name sorted by entry, one at a time: each token above the one before.</summary>
    private static long FencesOutOfEntryOrder(HoldInterval[] sorted)
    {
        long fences = 0;
        var lastFence = HoldInterval.NoFence;
        foreach (var interval in sorted.Where(i => i.Fence != HoldInterval.NoFence))
        {
            if (lastFence != HoldInterval.NoFence && interval.Fence <= lastFence)
                fences++;
            lastFence = interval.Fence;
        }
        return fences;
    }

    /// <summary>
    /// Sections of one name sorted by entry, several at a time: a grant asked for after another returned
    /// must carry a higher token (its grant came later), and no token may be granted twice.
    /// </summary>
    private static long FencesOutOfGrantOrder(HoldInterval[] byAcquired)
    {
        var fenced = byAcquired.Where(i => i.Fence != HoldInterval.NoFence).ToArray(); // still by entry
        long fences = fenced.Length - fenced.Select(i => i.Fence).Distinct().LongCount();
        var byAsked = fenced.OrderBy(i => i.WaitStarted).ToArray();
        var highestReturned = long.MinValue;
        var returned = 0;
        foreach (var interval in byAsked)
        {
            while (returned < fenced.Length && fenced[returned].Acquired < interval.WaitStarted)
                highestReturned = Math.Max(highestReturned, fenced[returned++].Fence);
            if (returned > 0 && interval.Fence <= highestReturned)
                fences++;
        }
        return fences;
    }
}
