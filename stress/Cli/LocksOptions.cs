using Coord.Stress.Engine;

namespace Coord.Stress.Cli;

/// <summary>The <c>locks</c> and <c>semaphores</c> commands' settings, after parsing.</summary>
public sealed record LocksOptions
{
    /// <summary>Target names, or <c>all</c>, <c>coord</c>, <c>peers</c>.</summary>
    public IReadOnlyList<string> Backends { get; init; } = ["all"];

    /// <summary>Null runs locks; otherwise semaphores, one scenario per backend, client count and permit count here.</summary>
    public IReadOnlyList<int>? Permits { get; init; }
    public IReadOnlyList<int> Clients { get; init; } = [1, 32];
    public int Names { get; init; } = 1;
    public TimeSpan Hold { get; init; } = TimeSpan.Zero;
    /// <summary>Lease TTL; 10 s fits every backend (the throwaway ZooKeeper grants sessions of at most 10 s).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);
    public long? Iterations { get; init; }
    public int Processes { get; init; } = 1;

    /// <summary>
    /// How many times the backends × clients matrix runs, one whole pass after another, so each target is
    /// measured at several moments spread over the same stretch of time; the side-by-side view takes each
    /// target's median pass. 1 to 20.
    /// </summary>
    public int Rounds { get; init; } = 1;
    public IReadOnlyList<FaultMode> Faults { get; init; } = [];

    /// <summary>Run only the fault scenarios, not the clients × backends matrix.</summary>
    public bool OnlyFaults { get; init; }

    /// <summary>TTL in the fault scenarios: short, so a dead or stalled holder's lease runs out within the run.</summary>
    public TimeSpan FaultTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Clients in the fault scenarios.</summary>
    public int FaultClients { get; init; } = 4;
}
