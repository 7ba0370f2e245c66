using HdrHistogram;

namespace Coord.Stress.Engine;

/// <summary>
/// A latency distribution in microseconds as reports need it (NBomber's step latency stats), and the
/// recorded values themselves so worker processes can send theirs to the parent to be merged.
/// </summary>
public sealed record LatencyStats
{
    public long Count { get; init; }
    public double MeanUs { get; init; }
    public long P50Us { get; init; }
    public long P90Us { get; init; }
    public long P99Us { get; init; }
    public long P999Us { get; init; }
    public long MaxUs { get; init; }

    /// <summary>(value, count) pairs of the histogram.</summary>
    public long[][] Recorded { get; init; } = [];

    public static LatencyStats From(LongHistogram h) => h.TotalCount == 0
        ? new LatencyStats()
        : new LatencyStats
        {
            Count = h.TotalCount,
            MeanUs = h.GetMean(),
            P50Us = h.GetValueAtPercentile(50),
            P90Us = h.GetValueAtPercentile(90),
            P99Us = h.GetValueAtPercentile(99),
            P999Us = h.GetValueAtPercentile(99.9),
            MaxUs = h.GetMaxValue(),
            Recorded = h.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAddedInThisIterationStep }).ToArray(),
        };

    public void AddTo(LongHistogram histogram)
    {
        foreach (var pair in Recorded)
            histogram.RecordValueWithCount(Math.Min(pair[0], histogram.HighestTrackableValue), pair[1]);
    }
}
