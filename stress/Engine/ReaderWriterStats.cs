namespace Coord.Stress.Engine;

/// <summary>What one <c>rwlocks</c> scenario measured.</summary>
public sealed record ReaderWriterStats
{
    public required string Target { get; init; }
    public required string Library { get; init; }
    public required int Clients { get; init; }
    public required double ReadFraction { get; init; }
    public required double HoldMs { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required long Reads { get; init; }
    public required long Writes { get; init; }
    public required LatencyStats ReadWait { get; init; }
    public required LatencyStats WriteWait { get; init; }

    /// <summary>Jain's index over the clients' acquisitions (reads and writes together).</summary>
    public required double Jain { get; init; }

    /// <summary>Most readers inside at once: above 1 shows the lock lets readers share.</summary>
    public required int PeakReaders { get; init; }

    /// <summary>A writer beside a reader or another writer (must be 0).</summary>
    public required long Violations { get; init; }

    public required long FencesOutOfOrder { get; init; }
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    public double ReadsPerSecond => ElapsedSeconds > 0 ? Reads / ElapsedSeconds : 0;
    public double WritesPerSecond => ElapsedSeconds > 0 ? Writes / ElapsedSeconds : 0;
}
