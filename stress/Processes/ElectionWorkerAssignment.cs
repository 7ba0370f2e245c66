using Coord.Stress.Engine;

namespace Coord.Stress.Processes;

/// <summary>What the parent tells one worker process of an <c>elections</c> scenario to run.</summary>
public sealed record ElectionWorkerAssignment : WorkerAssignmentBase
{
    /// <summary>The scenario with this worker's share of the candidates (<see cref="WorkerAssignmentBase.Clients"/>).</summary>
    public required PrimitiveScenario Scenario { get; init; }

    /// <summary>The election every worker's candidates campaign in.</summary>
    public required string Election { get; init; }

    public int FirstCandidate { get; init; }
}
