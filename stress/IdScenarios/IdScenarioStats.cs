using System.Text.Json.Serialization;

namespace Coord.Stress.IdScenarios;

/// <summary>What one ID scenario (one generator at one thread count) measured.</summary>
public sealed record IdScenarioStats
{
    public required string Generator { get; init; }
    public int Threads { get; init; }
    public long Ids { get; init; }
    public double ElapsedSeconds { get; init; }

    /// <summary>IDs kept and checked for duplicates (all of them unless the memory cap was reached).</summary>
    public long Checked { get; init; }
    public long Duplicates { get; init; }
    public Dictionary<string, long> Errors { get; init; } = [];
    public List<string> Notes { get; init; } = [];

    [JsonIgnore] public double IdsPerSecond => ElapsedSeconds > 0 ? Ids / ElapsedSeconds : 0;
}
