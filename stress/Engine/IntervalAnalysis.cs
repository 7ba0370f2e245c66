using HdrHistogram;

namespace Coord.Stress.Engine;

/// <summary>
/// Checks critical sections gathered from several processes after the run: on each name, sorted by
/// entry, no section may start before an earlier one ended, and fencing tokens must rise. Hand-offs
/// between different clients are measured the same way as <see cref="ExclusionMonitor"/> does live.
/// </summary>
public static class IntervalAnalysis
{
    public sealed record Result(long Overlaps, long FencesOutOfOrder, LongHistogram Handoffs);

    public static Result Analyze(IEnumerable<HoldInterval> intervals)
    {
        long overlaps = 0, fences = 0;
        var handoffs = Histograms.Create();
        foreach (var byName in intervals.GroupBy(i => i.NameIndex))
        {
            var sorted = byName.OrderBy(i => i.Acquired).ToArray();
            var latestEnd = long.MinValue;
            var previous = (HoldInterval?)null;
            var lastFence = HoldInterval.NoFence;
            foreach (var interval in sorted)
            {
                if (interval.Acquired < latestEnd)
                    overlaps++;
                if (interval.Fence != HoldInterval.NoFence)
                {
                    if (lastFence != HoldInterval.NoFence && interval.Fence <= lastFence)
                        fences++;
                    lastFence = interval.Fence;
                }
                if (previous is { } p && p.Client != interval.Client && interval.WaitStarted <= p.Released && interval.Acquired >= p.Released)
                    Histograms.RecordTicks(handoffs, interval.Acquired - p.Released);
                latestEnd = Math.Max(latestEnd, interval.Released);
                previous = interval;
            }
        }
        return new Result(overlaps, fences, handoffs);
    }
}
