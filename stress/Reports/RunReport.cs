using System.Text.Json.Serialization;
using Coord.Stress.Engine;
using Coord.Stress.IdScenarios;

namespace Coord.Stress.Reports;

/// <summary>Everything one run measured (NBomber's final stats), the source of every report format.</summary>
public sealed record RunReport
{
    public required string RunId { get; init; }
    public DateTimeOffset StartedUtc { get; init; }
    public double ElapsedSeconds { get; set; }
    public string CommandLine { get; init; } = "";
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;
    public string Machine { get; init; } = $"{Environment.OSVersion}, .NET {Environment.Version}, {Environment.ProcessorCount} cores";
    public List<string> Servers { get; init; } = [];
    public List<LockScenarioStats> Locks { get; init; } = [];
    public List<LockScenarioStats> Semaphores { get; init; } = [];
    public List<IdScenarioStats> Ids { get; init; } = [];

    [JsonIgnore] public long Violations => Locks.Sum(l => l.Violations) + Semaphores.Sum(s => s.Violations) + Ids.Sum(i => i.Duplicates);

    /// <summary>The lock and semaphore scenarios, each with the peers its backends are compared with; empty ones are left out.</summary>
    [JsonIgnore] public IReadOnlyList<ReportSection> Sections => new ReportSection[]
    {
        new("Locks", Locks, Comparison.Pairs),
        new("Semaphores", Semaphores, Comparison.SemaphorePairs),
    }.Where(s => s.Scenarios.Count > 0).ToArray();

    /// <summary>0 when nothing broke; 1 on any mutual-exclusion, capacity or fencing violation or duplicate ID.</summary>
    [JsonIgnore] public int ExitCode => Violations > 0 ? 1 : 0;
}
