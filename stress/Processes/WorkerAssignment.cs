using Coord.Stress.Engine;

namespace Coord.Stress.Processes;

/// <summary>What the parent tells one worker process of a <c>locks</c> or <c>semaphores</c> scenario to run.</summary>
public sealed record WorkerAssignment : WorkerAssignmentBase
{
    public required LockScenario Scenario { get; init; }
    public TimeSpan PeerRetry { get; init; }
    public int FirstClient { get; init; }

    /// <summary>Print a line for every hold and release, so the parent can kill a worker while it holds.</summary>
    public bool AnnounceHolds { get; init; }
}
