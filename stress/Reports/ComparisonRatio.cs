namespace Coord.Stress.Reports;

/// <summary>
/// A Coord backend ÷ its peer in one run: uncontended ops/s, contended acquisitions/s (higher is better for
/// both), and the contended wait p99.9 and longest wait (lower is better), each of the median passes; null where
/// either side lacks the number. With several passes (<c>--rounds</c>) also the throughput ratios within each pass.
/// </summary>
public sealed record ComparisonRatio(string Label, double? Uncontended, double? Contended, double? WaitP999, double? WaitMax)
{
    /// <summary>Uncontended Coord ÷ peer within each pass both ran, in pass order.</summary>
    public IReadOnlyList<double> UncontendedByPass { get; init; } = [];

    /// <summary>Contended Coord ÷ peer within each pass both ran, in pass order.</summary>
    public IReadOnlyList<double> ContendedByPass { get; init; } = [];
}
