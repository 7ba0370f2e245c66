using System.Diagnostics;
using System.Text.Json;
using Coord.Stress.Engine;
using Coord.Stress.Servers;
using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;

namespace Coord.Stress.Processes;

/// <summary>
/// Runs one <c>elections</c> scenario with its candidates spread over worker processes (this program re-launched with
/// <c>election-worker</c>), one election for all; with the kill-leader fault it SIGKILLs the process of a candidate
/// early in its leadership a third of the way in. Then it checks every leadership of every process together (two
/// at once, terms rising in order of election: one monotonic clock for all processes on one Linux machine) and,
/// after a kill, how long until the next leader and whether its term rose.
/// </summary>
public static class ElectionProcessRunner
{
    public static async Task<ElectionStats> RunAsync(PrimitiveTarget<IElectionCandidate> target, PrimitiveScenario scenario, StressServers servers, string runId,
        LockTargetCatalog.Settings settings, CancellationToken cancellationToken)
    {
        scenario.Validate();
        var folder = Path.Combine(Path.GetTempPath(), $"coord-stress-{runId}", "elections-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var election = ElectionScenarioRunner.ElectionOf(runId, scenario);
        var workers = new List<WorkerProcess>();
        var assignments = new List<ElectionWorkerAssignment>();
        try
        {
            var first = 0;
            for (var w = 0; w < scenario.Processes; w++)
            {
                var candidates = scenario.Clients / scenario.Processes + (w < scenario.Clients % scenario.Processes ? 1 : 0);
                var assignment = new ElectionWorkerAssignment
                {
                    RunId = runId,
                    Scenario = scenario with { Clients = candidates, Processes = 1, KillLeader = false },
                    Election = election,
                    Endpoints = servers.Resolved(),
                    KeyPrefix = settings.KeyPrefix,
                    FirstCandidate = first,
                    Clients = candidates,
                    StatsPath = Path.Combine(folder, $"worker-{w}.json"),
                    IntervalsPath = Path.Combine(folder, $"worker-{w}.bin"),
                };
                var path = Path.Combine(folder, $"worker-{w}-assignment.json");
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(assignment, StressJson.Options), cancellationToken).ConfigureAwait(false);
                workers.Add(WorkerProcess.Start(w, ElectionWorkerCommand.Name, path, assignment));
                assignments.Add(assignment);
                first += candidates;
            }

            await WorkerProcess.WaitAllReadyAsync(workers, cancellationToken).ConfigureAwait(false);
            await WorkerProcess.GoAsync(workers).ConfigureAwait(false);
            WorkerProcess? killed = null;
            (int Candidate, int NameIndex, long Term, long At)? killedLeadership = null;
            long killedAt = 0;
            if (scenario.KillLeader)
            {
                await Task.Delay(scenario.Duration / 3, cancellationToken).ConfigureAwait(false);
                (killed, killedLeadership, killedAt) = await WorkerProcess.KillOneHoldingAsync(workers, scenario.Hold, cancellationToken).ConfigureAwait(false);
            }
            await WorkerProcess.WaitAllExitedAsync(workers, scenario.Duration, cancellationToken).ConfigureAwait(false);

            var parts = new List<ElectionStats>();
            var leaderships = new List<HoldInterval>();
            foreach (var worker in workers.Where(w => w != killed))
            {
                parts.Add(await worker.ReadStatsAsync<ElectionStats>(scenario.Label, cancellationToken).ConfigureAwait(false));
                leaderships.AddRange(WorkerProtocol.ReadIntervals(worker.Assignment.IntervalsPath));
            }
            // The killed worker's leaderships died with it: shares are compared among the survivors' candidates only.
            var shares = new Dictionary<int, long>();
            foreach (var survivor in assignments.Where((_, w) => workers[w] != killed))
                for (var c = 0; c < survivor.Clients; c++)
                    shares[survivor.FirstCandidate + c] = 0;
            foreach (var leadership in leaderships)
                shares[leadership.Client]++;
            KillLeaderOutcome? outcome = null;
            if (killed is not null)
            {
                // The dead leader led until it died; nobody may have led before its lease or session ran out.
                if (killedLeadership is { } dead)
                    leaderships.Add(new HoldInterval(dead.Candidate, 0, dead.At, dead.At, killedAt, dead.Term));
                var next = leaderships.Where(l => l.Acquired > killedAt).OrderBy(l => l.Acquired).Cast<HoldInterval?>().FirstOrDefault();
                outcome = new KillLeaderOutcome(scenario.Ttl.TotalSeconds, killedLeadership?.Term, next?.Fence,
                    next is { } n ? Stopwatch.GetElapsedTime(killedAt, n.Acquired).TotalSeconds : null);
            }
            return Merge(target, scenario, parts, leaderships, shares.Values.ToArray(), outcome);
        }
        finally
        {
            WorkerProcess.DisposeAll(workers, folder);
        }
    }

    private static ElectionStats Merge(PrimitiveTarget<IElectionCandidate> target, PrimitiveScenario scenario, List<ElectionStats> parts, List<HoldInterval> leaderships,
        long[] shares, KillLeaderOutcome? outcome)
    {
        var analysis = IntervalAnalysis.Analyze(leaderships);
        var wait = Histograms.Create();
        foreach (var part in parts)
            part.CampaignWait.AddTo(wait);
        var inOrder = leaderships.OrderBy(l => l.Acquired).ToArray();
        return new ElectionStats
        {
            Target = target.Name,
            Library = target.Library,
            Candidates = scenario.Clients,
            Processes = scenario.Processes,
            HoldMs = scenario.Hold.TotalMilliseconds,
            // Each worker timed its own measured part; the parent's clock would add process start and shut-down.
            ElapsedSeconds = parts.Count > 0 ? parts.Max(p => p.ElapsedSeconds) : scenario.Duration.TotalSeconds,
            Turnovers = leaderships.Count,
            CampaignWait = LatencyStats.From(wait),
            Jain = Fairness.JainIndex(shares),
            Overlaps = Math.Max(analysis.Overlaps, parts.Sum(p => p.Overlaps)),
            TermsNotRising = Math.Max(analysis.FencesOutOfOrder, parts.Sum(p => p.TermsNotRising)),
            FirstTerm = inOrder.Length > 0 ? inOrder[0].Fence : 0,
            LastTerm = inOrder.Length > 0 ? inOrder[^1].Fence : 0,
            Errors = parts.SelectMany(p => p.Errors).GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal),
            KillLeader = outcome,
        };
    }
}
