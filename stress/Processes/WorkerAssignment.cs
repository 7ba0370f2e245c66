using Coord.Stress.Engine;
using Coord.Stress.Servers;

namespace Coord.Stress.Processes;

/// <summary>What the parent tells one worker process to run; passed as a JSON file.</summary>
public sealed record WorkerAssignment
{
    public required string RunId { get; init; }
    public required LockScenario Scenario { get; init; }

    /// <summary>The servers the parent uses, all resolved, so the worker starts none of its own.</summary>
    public required StressEndpoints Endpoints { get; init; }

    public required string KeyPrefix { get; init; }
    public TimeSpan PeerRetry { get; init; }
    public int FirstClient { get; init; }
    public int Clients { get; init; }

    /// <summary>Print a line for every hold and release, so the parent can kill a worker while it holds.</summary>
    public bool AnnounceHolds { get; init; }

    public required string StatsPath { get; init; }
    public required string IntervalsPath { get; init; }
}
