namespace Coord.Stress.Cli;

/// <summary>The <c>elections</c> command's worker processes and fault settings, after parsing.</summary>
public sealed record ElectionFaultOptions
{
    /// <summary>Worker processes the candidates of a scenario are spread over (1: all in this process).</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Add a kill-leader scenario per target that runs across processes.</summary>
    public bool KillLeader { get; init; }

    /// <summary>Run only the fault scenarios, not the targets × clients matrix.</summary>
    public bool OnlyFaults { get; init; }

    /// <summary>TTL in the fault scenarios: short, so the dead leader's lease or session runs out within the run.</summary>
    public TimeSpan FaultTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Candidates in the fault scenarios.</summary>
    public int FaultClients { get; init; } = 4;
}
