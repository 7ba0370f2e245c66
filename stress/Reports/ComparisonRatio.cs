namespace Coord.Stress.Reports;

/// <summary>
/// A Coord backend ÷ its peer in one run: uncontended ops/s, contended acquisitions/s (higher is better for
/// both), and the contended wait p99.9 and longest wait (lower is better). Null where either side lacks the number.
/// </summary>
public readonly record struct ComparisonRatio(string Label, double? Uncontended, double? Contended, double? WaitP999, double? WaitMax);
