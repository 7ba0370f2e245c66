using System.Text.Json.Serialization;

namespace Coord.Stress.Engine;

/// <summary>What one lock or semaphore scenario measured (NBomber's scenario stats), merged over its processes.</summary>
public sealed record LockScenarioStats
{
    public required string Scenario { get; init; }
    public required string Target { get; init; }
    public required string Library { get; init; }
    public bool IsPeer { get; init; }
    public bool SupportsFencing { get; init; }
    public int Clients { get; init; }
    public int Names { get; init; }
    public int Processes { get; init; }

    /// <summary>Which pass of the matrix (<c>--rounds</c>) measured this, from 1.</summary>
    public int Round { get; init; } = 1;

    /// <summary>Null for a lock; a semaphore's permits per name.</summary>
    public int? Permits { get; init; }
    public double HoldMs { get; init; }
    public double TtlMs { get; init; }
    public string LoadSimulation { get; init; } = "";
    public FaultMode Fault { get; init; }
    public double ElapsedSeconds { get; init; }

    public long Acquisitions { get; init; }
    public long[] AcquisitionsPerClient { get; init; } = [];

    /// <summary>Step stats: <c>acquire</c> (wait from asking to holding), <c>release</c>, <c>handoff</c> (release to a different waiter holding).</summary>
    public Dictionary<string, LatencyStats> Steps { get; init; } = [];

    public Dictionary<string, long> Errors { get; init; } = [];
    /// <summary>Entries made while a name already had as many holders as it admits (for a lock: two holders at once; for a semaphore: permits in use above N).</summary>
    public long OverlapViolations { get; init; }
    public long FenceViolations { get; init; }

    /// <summary>Most holders seen inside one name at once: 1 for a correct lock under contention, the permits for a saturated semaphore.</summary>
    public long PeakInUse { get; init; }

    /// <summary>Requests the library counted itself (Coord's per-provider metrics), by operation, during the measured part.</summary>
    public Dictionary<string, long> ClientRequests { get; init; } = [];

    /// <summary>Server-side counts during the measured part, e.g. <c>redis commands</c>, <c>postgres commits</c>.</summary>
    public Dictionary<string, long> ServerRequests { get; init; } = [];

    /// <summary>CPU time of the runner's process (every client of the target, none of the servers) during the measured part; null when the clients ran in worker processes.</summary>
    public double? ClientCpuMs { get; init; }

    /// <summary>Bytes the runner's process allocated during the measured part (all its clients); null when the clients ran in worker processes.</summary>
    public long? ClientAllocatedBytes { get; init; }

    /// <summary>What the fault did and what followed, in numbers.</summary>
    public Dictionary<string, double> FaultOutcome { get; init; } = [];

    public List<string> Notes { get; init; } = [];

    [JsonIgnore] public long Violations => OverlapViolations + FenceViolations;
    [JsonIgnore] public double AcquisitionsPerSecond => ElapsedSeconds > 0 ? Acquisitions / ElapsedSeconds : 0;
    [JsonIgnore] public double JainIndex => Fairness.JainIndex(AcquisitionsPerClient);
    [JsonIgnore] public long ErrorCount => Errors.Values.Sum();
    [JsonIgnore] public LatencyStats Wait => Steps.GetValueOrDefault("acquire") ?? new LatencyStats();
    [JsonIgnore] public LatencyStats Handoff => Steps.GetValueOrDefault("handoff") ?? new LatencyStats();

    /// <summary>Client-side requests per acquisition, or null where the library does not count its requests.</summary>
    [JsonIgnore] public double? RequestsPerAcquisition => ClientRequests.Count == 0 || Acquisitions == 0 ? null : (double)ClientRequests.Values.Sum() / Acquisitions;

    /// <summary>Client CPU per acquisition in microseconds, or null where it was not measured.</summary>
    [JsonIgnore] public double? ClientCpuUsPerAcquisition => ClientCpuMs is { } ms && Acquisitions > 0 ? ms * 1000 / Acquisitions : null;

    /// <summary>Client allocations per acquisition in KB, or null where they were not measured.</summary>
    [JsonIgnore] public double? ClientKilobytesPerAcquisition => ClientAllocatedBytes is { } bytes && Acquisitions > 0 ? bytes / 1024.0 / Acquisitions : null;

    /// <summary>Stats with only the scenario's description filled in; measured values are added with <c>with</c>.</summary>
    public static LockScenarioStats Describing(LockScenario scenario, Targets.LockTarget target) => new()
    {
        Scenario = scenario.Name,
        Target = target.Name,
        Library = target.Library,
        IsPeer = target.IsPeer,
        SupportsFencing = target.SupportsFencing,
        Clients = scenario.Load.Copies,
        Names = scenario.Names,
        Processes = scenario.Processes,
        Round = scenario.Round,
        Permits = scenario.Permits,
        HoldMs = scenario.Hold.TotalMilliseconds,
        TtlMs = scenario.Ttl.TotalMilliseconds,
        LoadSimulation = scenario.Load.ToString(),
        Fault = scenario.Fault,
    };

    /// <summary>Server-side count per acquisition for one counter kind, or null when it was not measured.</summary>
    public double? ServerPerAcquisition(string kind) => Acquisitions > 0 && ServerRequests.TryGetValue(kind, out var n) ? (double)n / Acquisitions : null;
}
