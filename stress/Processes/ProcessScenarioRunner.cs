using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Coord.Stress.Engine;
using Coord.Stress.Faults;
using Coord.Stress.Servers;
using Coord.Stress.Targets;

namespace Coord.Stress.Processes;

/// <summary>
/// Runs one scenario spread over worker processes (this program re-launched with <c>worker</c>), then
/// merges their stats and checks their critical sections together: on one Linux machine the
/// Stopwatch timestamps of all processes come from the same monotonic clock.
/// </summary>
public static class ProcessScenarioRunner
{
    public static async Task<LockScenarioStats> RunAsync(LockScenario scenario, LockTarget target, StressServers servers, string runId, LockTargetCatalog.Settings settings,
        ServerKillFault? serverKill, ScenarioProgress progress, CancellationToken cancellationToken)
    {
        scenario.Validate();
        if (!target.SupportsProcesses)
            throw new ArgumentException($"{target.Name} holds locks inside one process; it cannot run with processes ≥ 2.", nameof(scenario));
        var folder = Path.Combine(Path.GetTempPath(), $"coord-stress-{runId}", scenario.Name);
        Directory.CreateDirectory(folder);
        var workers = new List<WorkerProcess>();
        try
        {
            var first = 0;
            for (var w = 0; w < scenario.Processes; w++)
            {
                var clients = scenario.Load.Copies / scenario.Processes + (w < scenario.Load.Copies % scenario.Processes ? 1 : 0);
                var assignment = new WorkerAssignment
                {
                    RunId = runId,
                    Scenario = scenario,
                    Endpoints = servers.Resolved(),
                    KeyPrefix = settings.KeyPrefix,
                    PeerRetry = settings.PeerRetry,
                    FirstClient = first,
                    Clients = clients,
                    AnnounceHolds = scenario.Fault == FaultMode.KillHolder,
                    StatsPath = Path.Combine(folder, $"worker-{w}.json"),
                    IntervalsPath = Path.Combine(folder, $"worker-{w}.bin"),
                };
                var path = Path.Combine(folder, $"worker-{w}-assignment.json");
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(assignment, StressJson.Options), cancellationToken).ConfigureAwait(false);
                workers.Add(WorkerProcess.Start(w, "worker", path, assignment));
                first += clients;
            }

            await WorkerProcess.WaitAllReadyAsync(workers, cancellationToken).ConfigureAwait(false);
            var serverBefore = await LockScenarioRunner.ReadServerCountersBeforeMeasuringAsync(target, cancellationToken).ConfigureAwait(false);
            progress.Reset();
            var started = await WorkerProcess.GoAsync(workers).ConfigureAwait(false);
            using var ticker = new Timer(_ => progress.External = workers.Sum(w => Interlocked.Read(ref w.Acquisitions)), null, 200, 200);

            var outcome = new Dictionary<string, double>();
            WorkerProcess? killed = null;
            (int Client, int NameIndex, long Fence, long At)? killedHold = null;
            long killedAt = 0;
            Func<Task>? undo = null;
            if (scenario.Load.During is { } during && scenario.Fault != FaultMode.None)
            {
                await Task.Delay(during / 3, cancellationToken).ConfigureAwait(false);
                if (scenario.Fault == FaultMode.KillHolder)
                    (killed, killedHold, killedAt) = await WorkerProcess.KillOneHoldingAsync(workers, scenario.Hold, cancellationToken).ConfigureAwait(false);
                else if (serverKill is not null)
                    undo = await serverKill.Attach(new LockRunHooks()).InjectFault!(progress, cancellationToken).ConfigureAwait(false);
            }

            await WorkerProcess.WaitAllExitedAsync(workers, scenario.Load.During ?? TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (undo is not null)
                await undo().ConfigureAwait(false);
            var serverAfter = await LockScenarioRunner.ReadServerCountersAsync(target, cancellationToken).ConfigureAwait(false);

            var parts = new List<LockScenarioStats>();
            var intervals = new List<HoldInterval>();
            foreach (var worker in workers.Where(w => w != killed))
            {
                parts.Add(await worker.ReadStatsAsync<LockScenarioStats>(scenario.Name, cancellationToken).ConfigureAwait(false));
                intervals.AddRange(WorkerProtocol.ReadIntervals(worker.Assignment.IntervalsPath));
            }
            if (killedHold is { } hold)
            {
                // The dead worker's last hold ended when it died; nobody may have entered before its lease ran out.
                intervals.Add(new HoldInterval(hold.Client, hold.NameIndex, hold.At, hold.At, killedAt, hold.Fence));
                var next = intervals.Where(i => i.NameIndex == hold.NameIndex && i.Acquired > killedAt).Select(i => i.Acquired).DefaultIfEmpty(long.MaxValue).Min();
                outcome["killed worker"] = killed!.Index;
                outcome["seconds from kill to next acquisition"] = next == long.MaxValue ? double.NaN : Stopwatch.GetElapsedTime(killedAt, next).TotalSeconds;
                outcome["ttl seconds"] = scenario.Ttl.TotalSeconds;
            }
            else if (killed is not null)
            {
                outcome["killed worker"] = killed.Index;
                outcome["killed while holding"] = 0;
            }
            if (serverKill is not null)
                foreach (var (k, v) in serverKill.Outcome)
                    outcome[k] = v;

            return Merge(scenario, target, parts, intervals, elapsed, LockScenarioRunner.Delta(serverBefore, serverAfter), outcome, killed);
        }
        finally
        {
            WorkerProcess.DisposeAll(workers, folder);
        }
    }

    private static LockScenarioStats Merge(LockScenario scenario, LockTarget target, List<LockScenarioStats> parts, List<HoldInterval> intervals, TimeSpan elapsed,
        Dictionary<string, long> serverRequests, Dictionary<string, double> outcome, WorkerProcess? killed)
    {
        var wait = Histograms.Create();
        var release = Histograms.Create();
        var clientRequests = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            part.Steps.GetValueOrDefault("acquire")?.AddTo(wait);
            part.Steps.GetValueOrDefault("release")?.AddTo(release);
            foreach (var (k, v) in part.ClientRequests)
                clientRequests[k] = clientRequests.GetValueOrDefault(k) + v;
            foreach (var (k, v) in part.Errors)
                errors[k] = errors.GetValueOrDefault(k) + v;
        }
        var analysis = IntervalAnalysis.Analyze(intervals, scenario.Capacity);
        var notes = new List<string> { $"{scenario.Processes} worker processes; violations checked over the critical sections of all of them" };
        if (killed is not null)
            notes.Add($"worker {killed.Index} was killed while holding; its {killed.Assignment.Clients} client(s) are left out of the per-client counts");
        return LockScenarioStats.Describing(scenario, target) with
        {
            // Each worker timed its own measured part; the parent's clock would add process shut-down.
            ElapsedSeconds = parts.Count > 0 ? parts.Max(p => p.ElapsedSeconds) : elapsed.TotalSeconds,
            Acquisitions = parts.Sum(p => p.Acquisitions),
            AcquisitionsPerClient = parts.SelectMany(p => p.AcquisitionsPerClient).ToArray(),
            Steps = new()
            {
                ["acquire"] = LatencyStats.From(wait),
                ["release"] = LatencyStats.From(release),
                ["handoff"] = LatencyStats.From(analysis.Handoffs),
            },
            Errors = errors,
            OverlapViolations = Math.Max(analysis.Overlaps, parts.Sum(p => p.OverlapViolations)),
            FenceViolations = Math.Max(analysis.FencesOutOfOrder, parts.Sum(p => p.FenceViolations)),
            PeakInUse = Math.Max(analysis.PeakInUse, parts.Count > 0 ? parts.Max(p => p.PeakInUse) : 0),
            ClientRequests = clientRequests,
            ServerRequests = serverRequests,
            FaultOutcome = outcome,
            Notes = notes,
        };
    }
}
