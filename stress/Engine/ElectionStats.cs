namespace Coord.Stress.Engine;

/// <summary>What one <c>elections</c> scenario measured.</summary>
public sealed record ElectionStats
{
    public required string Target { get; init; }
    public required string Library { get; init; }
    public required int Candidates { get; init; }
    public required double HoldMs { get; init; }
    public required double ElapsedSeconds { get; init; }

    /// <summary>Leaderships won (each one a leader turnover, as every leader resigns).</summary>
    public required long Turnovers { get; init; }

    public required LatencyStats CampaignWait { get; init; }

    /// <summary>Jain's index over the candidates' leaderships.</summary>
    public required double Jain { get; init; }

    /// <summary>A candidate elected while another still led (must be 0).</summary>
    public required long Overlaps { get; init; }

    /// <summary>A leader whose term was not above the previous leader's (must be 0).</summary>
    public required long TermsNotRising { get; init; }

    public required long FirstTerm { get; init; }
    public required long LastTerm { get; init; }
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>Worker processes the candidates ran in.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>The kill-leader fault's outcome, in a scenario with that fault.</summary>
    public KillLeaderOutcome? KillLeader { get; init; }

    /// <summary>Two leaders at once, terms not rising, and a kill-leader fault that failed: all must be 0.</summary>
    public long Violations => Overlaps + TermsNotRising + (KillLeader is { Passed: false } ? 1 : 0);

    public double TurnoversPerSecond => ElapsedSeconds > 0 ? Turnovers / ElapsedSeconds : 0;
}
