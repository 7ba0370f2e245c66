namespace Coord.Stress.Reports;

/// <summary>One line of the side-by-side table: a lock or semaphore implementation (at one permit count, in one or more processes) uncontended and contended.</summary>
public sealed record ComparisonRow
{
    public required string Target { get; init; }
    public required string Library { get; init; }

    /// <summary>Null for a lock; a semaphore's permits per name.</summary>
    public int? Permits { get; init; }

    /// <summary>How many processes shared the clients (<c>--processes</c>); 1 for an in-process run.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>The target, with the permits for a semaphore and the processes of a multi-process run: <c>redis</c>, <c>redis ×4</c>, <c>redis in 4 processes</c>.</summary>
    public string Label => (Permits is { } n ? $"{Target} ×{n}" : Target) + (Processes > 1 ? $" in {Processes} processes" : "");
    public bool IsPeer { get; init; }
    public double? UncontendedOpsPerSecond { get; init; }
    public int ContendedClients { get; init; }
    public double? ContendedAcquisitionsPerSecond { get; init; }
    public double? ContendedWaitP999Ms { get; init; }
    public double? ContendedWaitMaxMs { get; init; }
    public double? ContendedHandoffP50Ms { get; init; }
    public double? ContendedJain { get; init; }
    public double? ContendedRequestsPerAcquisition { get; init; }
    public double? ContendedRedisCommandsPerAcquisition { get; init; }
    public double? ContendedPostgresCommitsPerAcquisition { get; init; }

    /// <summary>Server-side counts per acquisition other than Redis commands (PostgreSQL commits, etcd gRPC messages, ZooKeeper packets).</summary>
    public string ContendedOtherServerPerAcquisition { get; init; } = "";
    public double? UncontendedRequestsPerAcquisition { get; init; }
    public double? UncontendedRedisCommandsPerAcquisition { get; init; }
    /// <summary>Uncontended ops/s of every pass, by pass (<c>--rounds</c>); one entry for a single pass.</summary>
    public IReadOnlyDictionary<int, double> UncontendedByPass { get; init; } = new Dictionary<int, double>();

    /// <summary>Contended acquisitions/s of every pass, by pass.</summary>
    public IReadOnlyDictionary<int, double> ContendedByPass { get; init; } = new Dictionary<int, double>();

    public long Violations { get; init; }
    public long Errors { get; init; }
}
