using Coord.Stress.Engine;

namespace Coord.Stress.Reports;

/// <summary>The scenarios of one primitive in a run (locks or semaphores), as every report format shows them: side by side, ratios to peers, then each scenario.</summary>
/// <param name="Title">Plural for headings: <c>Locks</c> or <c>Semaphores</c>.</param>
/// <param name="Pairs">Each Coord backend and the peer it is measured against.</param>
public sealed record ReportSection(string Title, IReadOnlyList<LockScenarioStats> Scenarios, IReadOnlyList<(string Coord, string Peer)> Pairs)
{
    public bool IsSemaphore => Scenarios.Any(s => s.Permits is not null);

    /// <summary>Heading of the violation column that counts entries beyond what a name admits.</summary>
    public string OverlapColumn => IsSemaphore ? "over capacity" : "overlaps";
}
