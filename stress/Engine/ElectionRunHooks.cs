namespace Coord.Stress.Engine;

/// <summary>How an <c>elections</c> run of candidates fits into its surroundings: alone in this process, or one worker among several.</summary>
public sealed class ElectionRunHooks
{
    /// <summary>Number of this process's first candidate; candidates are numbered across all processes.</summary>
    public int FirstCandidate { get; init; }

    /// <summary>The election's name; null: one of the scenario's own, from the run id and the candidates.</summary>
    public string? Election { get; init; }

    /// <summary>Called after the warm-up, before the measured part starts; workers report ready and wait for the go.</summary>
    public Func<CancellationToken, Task>? BeforeMeasuring { get; init; }

    /// <summary>Called when a candidate leads (candidate, term, timestamp) and when it stops, before it resigns.</summary>
    public Action<int, long, long>? OnElected { get; init; }
    public Action<int>? OnResigning { get; init; }

    /// <summary>When set, receives every leadership (the term as its fence) so the parent can check them across processes.</summary>
    public List<HoldInterval>? Leaderships { get; init; }
}
