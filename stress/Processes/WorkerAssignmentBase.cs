using Coord.Stress.Servers;

namespace Coord.Stress.Processes;

/// <summary>What every worker process is told by its parent (passed as a JSON file), whatever it runs.</summary>
public abstract record WorkerAssignmentBase
{
    public required string RunId { get; init; }

    /// <summary>The servers the parent uses, all resolved, so the worker starts none of its own.</summary>
    public required StressEndpoints Endpoints { get; init; }

    public required string KeyPrefix { get; init; }

    /// <summary>Clients (or candidates) this worker runs.</summary>
    public int Clients { get; init; }

    /// <summary>Where the worker leaves its stats (JSON) and every hold or leadership it saw (<see cref="WorkerProtocol.WriteIntervals"/>).</summary>
    public required string StatsPath { get; init; }
    public required string IntervalsPath { get; init; }
}
