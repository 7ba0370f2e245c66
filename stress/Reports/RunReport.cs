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
    public List<IdScenarioStats> Ids { get; init; } = [];

    [JsonIgnore] public long Violations => Locks.Sum(l => l.Violations) + Ids.Sum(i => i.Duplicates);

    /// <summary>0 when nothing broke; 1 on any mutual-exclusion or fencing violation or duplicate ID.</summary>
    [JsonIgnore] public int ExitCode => Violations > 0 ? 1 : 0;
}
