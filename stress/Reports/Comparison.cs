using Coord.Stress.Engine;

namespace Coord.Stress.Reports;

/// <summary>
/// The side-by-side view of a run: per lock or semaphore implementation (and permit count, and number of
/// processes) its 1-client (uncontended) and its most contended 1-name scenario, and the ratios of each
/// Coord backend to its peer on the same servers and in as many processes.
/// </summary>
public static class Comparison
{
    public const string RedisCommands = "redis commands";
    public const string PostgresCommits = "postgres commits";

    /// <summary>Coord backend and the peer it is measured against.</summary>
    public static readonly (string Coord, string Peer)[] Pairs = [("redis", "dlock-redis"), ("redis", "redis-floor"), ("postgres", "dlock-postgres"), ("redlock", "redlock-net"), ("etcd", "etcd-floor"), ("zookeeper", "curator")];

    /// <summary>Coord semaphore backend and the peer it is measured against (<see cref="Targets.SemaphoreTargetCatalog"/> names).</summary>
    public static readonly (string Coord, string Peer)[] SemaphorePairs = [("redis", "dlock-redis-sem"), ("zookeeper", "curator-sem")];

    public static List<ComparisonRow> Rows(IEnumerable<LockScenarioStats> all)
    {
        var rows = new List<ComparisonRow>();
        foreach (var group in SideBySide(all).GroupBy(s => (s.Target, s.Permits, s.Processes))
                     .OrderBy(g => g.Key.Processes).ThenBy(g => g.First().IsPeer).ThenBy(g => g.Key.Permits))
        {
            var uncontended = MedianPass(group.Where(s => s.Clients == 1));
            var mostClients = group.Max(s => s.Clients);
            var contended = mostClients > 1 ? MedianPass(group.Where(s => s.Clients == mostClients)) : null;
            rows.Add(new ComparisonRow
            {
                Target = group.Key.Target,
                Permits = group.Key.Permits,
                Processes = group.Key.Processes,
                Library = group.First().Library,
                IsPeer = group.First().IsPeer,
                UncontendedOpsPerSecond = uncontended?.AcquisitionsPerSecond,
                UncontendedRequestsPerAcquisition = uncontended?.RequestsPerAcquisition,
                UncontendedRedisCommandsPerAcquisition = uncontended?.ServerPerAcquisition(RedisCommands),
                ContendedClients = contended?.Clients ?? 0,
                ContendedAcquisitionsPerSecond = contended?.AcquisitionsPerSecond,
                ContendedWaitP999Ms = contended?.Wait.P999Us / 1000.0,
                ContendedWaitMaxMs = contended?.Wait.MaxUs / 1000.0,
                ContendedHandoffP50Ms = contended is { Handoff.Count: > 0 } ? contended.Handoff.P50Us / 1000.0 : null,
                ContendedJain = contended?.JainIndex,
                ContendedRequestsPerAcquisition = contended?.RequestsPerAcquisition,
                ContendedRedisCommandsPerAcquisition = contended?.ServerPerAcquisition(RedisCommands),
                ContendedPostgresCommitsPerAcquisition = contended?.ServerPerAcquisition(PostgresCommits),
                ContendedOtherServerPerAcquisition = contended is null ? "" : string.Join(", ", contended.ServerRequests.Keys.Where(k => k != RedisCommands)
                    .Select(k => $"{k} {Numbers.Per(contended.ServerPerAcquisition(k))}")),
                UncontendedByPass = ByPass(group.Where(s => s.Clients == 1)),
                ContendedByPass = mostClients > 1 ? ByPass(group.Where(s => s.Clients == mostClients)) : new Dictionary<int, double>(),
                Violations = group.Sum(s => s.Violations),
                Errors = group.Sum(s => s.ErrorCount),
            });
        }
        return rows;
    }

    private static Dictionary<int, double> ByPass(IEnumerable<LockScenarioStats> passes)
        => passes.GroupBy(s => s.Round).ToDictionary(g => g.Key, g => g.First().AcquisitionsPerSecond);

    /// <summary>" — median of N passes" for a run of several passes (<c>--rounds</c>), else empty: for the side-by-side heading.</summary>
    public static string PassesNote(IEnumerable<LockScenarioStats> all)
    {
        var passes = SideBySide(all).GroupBy(s => (s.Target, s.Permits, s.Processes, s.Clients)).Select(g => g.Count()).DefaultIfEmpty(1).Max();
        return passes > 1 ? $" — median of {passes} passes" : "";
    }

    /// <summary>The scenarios the side-by-side view is made of: fault-free, on one name, with acquisitions.</summary>
    private static IEnumerable<LockScenarioStats> SideBySide(IEnumerable<LockScenarioStats> all)
        => all.Where(s => s.Fault == FaultMode.None && s.Names == 1 && s.Acquisitions > 0);

    /// <summary>
    /// Of the passes of one scenario (<c>--rounds</c>), the one with the median acquisitions/s, whole, so its
    /// columns stay one measurement; the upper middle of an even count. Null when there is none.
    /// </summary>
    public static LockScenarioStats? MedianPass(IEnumerable<LockScenarioStats> passes)
    {
        var sorted = passes.OrderBy(s => s.AcquisitionsPerSecond).ToList();
        return sorted.Count == 0 ? null : sorted[sorted.Count / 2];
    }

    /// <summary>Coord ÷ peer per pair, permit count and number of processes (see <see cref="ComparisonRatio"/>).</summary>
    public static List<ComparisonRatio> Ratios(IReadOnlyList<ComparisonRow> rows, IReadOnlyList<(string Coord, string Peer)> pairs)
    {
        var ratios = new List<ComparisonRatio>();
        foreach (var (coord, peer) in pairs)
        {
            foreach (var c in rows.Where(r => r.Target == coord))
            {
                var p = rows.FirstOrDefault(r => r.Target == peer && r.Permits == c.Permits && r.Processes == c.Processes);
                if (p is null)
                    continue;
                var permits = c.Permits is { } n ? $", {n} permits" : "";
                var processes = c.Processes > 1 ? $", {c.Processes} processes" : "";
                ratios.Add(new ComparisonRatio($"Coord {coord} / {p.Library}{permits}{processes}",
                    Divide(c.UncontendedOpsPerSecond, p.UncontendedOpsPerSecond), Divide(c.ContendedAcquisitionsPerSecond, p.ContendedAcquisitionsPerSecond),
                    Divide(c.ContendedWaitP999Ms, p.ContendedWaitP999Ms), Divide(c.ContendedWaitMaxMs, p.ContendedWaitMaxMs))
                {
                    UncontendedByPass = PassRatios(c.UncontendedByPass, p.UncontendedByPass),
                    ContendedByPass = PassRatios(c.ContendedByPass, p.ContendedByPass),
                });
            }
        }
        return ratios;
    }

    /// <summary>Coord ÷ peer within each pass both ran, in pass order: pairs measured minutes apart at most, so a slow stretch of the machine weighs on both.</summary>
    private static double[] PassRatios(IReadOnlyDictionary<int, double> coord, IReadOnlyDictionary<int, double> peer)
        => [.. coord.Keys.Where(peer.ContainsKey).Order().Select(round => Divide(coord[round], peer[round])).OfType<double>()];

    private static double? Divide(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
}
