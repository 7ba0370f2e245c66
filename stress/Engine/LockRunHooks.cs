namespace Coord.Stress.Engine;

/// <summary>How a run of clients fits into its surroundings: alone in this process, or one worker among several.</summary>
public sealed class LockRunHooks
{
    /// <summary>Id of this process's first client; clients are numbered across all processes.</summary>
    public int FirstClient { get; init; }

    /// <summary>Clients this process runs.</summary>
    public int Clients { get; init; }

    /// <summary>When set, receives every critical section so the parent can check them across processes.</summary>
    public List<HoldInterval>? Intervals { get; init; }

    /// <summary>Read the servers' counters around the measured part (the parent does it for its workers).</summary>
    public bool MeasureServerCounters { get; init; } = true;

    /// <summary>Called after the warm-up, before the measured part starts; workers report ready and wait for the go.</summary>
    public Func<CancellationToken, Task>? BeforeMeasuring { get; init; }

    /// <summary>Called when a client has the lock (client, name index, fence or null, timestamp) and when it lets go (before it sends the release).</summary>
    public Action<int, int, long?, long>? OnHold { get; init; }
    public Action<int>? OnFree { get; init; }

    /// <summary>Called a third of the way into a timed run with the live progress; returns what to do at the end.</summary>
    public Func<ScenarioProgress, CancellationToken, Task<Func<Task>>>? InjectFault { get; init; }

    public ScenarioProgress Progress { get; init; } = new();
}
