using Coord.Stress.Servers;

namespace Coord.Stress.Engine;

/// <summary>Everything one <c>locks</c> run does: its scenarios, in order, and the servers they use.</summary>
public sealed record LockRunPlan
{
    public required string RunId { get; init; }
    public required IReadOnlyList<LockScenario> Scenarios { get; init; }
    public StressEndpoints Endpoints { get; init; } = new();

    /// <summary>RedLock.net retries this often while it waits (it has no wake-up).</summary>
    public TimeSpan PeerRetry { get; init; } = TimeSpan.FromMilliseconds(25);

    public string KeyPrefix => $"stress:{RunId}:";
}
