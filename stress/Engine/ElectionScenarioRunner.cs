using System.Diagnostics;
using System.Globalization;
using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;

namespace Coord.Stress.Engine;

/// <summary>
/// Runs one <c>elections</c> scenario: every candidate repeats, on one election, campaign → lead for the hold
/// time → resign, while an <see cref="ElectionMonitor"/> checks that two never lead at once and that terms rise.
/// </summary>
public static class ElectionScenarioRunner
{
    public static Task<ElectionStats> RunAsync(PrimitiveTarget<IElectionCandidate> target, PrimitiveScenario scenario, string runId, CancellationToken cancellationToken)
        => RunAsync(target, scenario, runId, new ElectionRunHooks(), cancellationToken);

    /// <param name="hooks">How this run sits among others: a worker process's share of the candidates, reporting each leadership.</param>
    public static async Task<ElectionStats> RunAsync(PrimitiveTarget<IElectionCandidate> target, PrimitiveScenario scenario, string runId, ElectionRunHooks hooks,
        CancellationToken cancellationToken)
    {
        var election = hooks.Election ?? ElectionOf(runId, scenario);
        var monitor = new ElectionMonitor();
        var recorders = Enumerable.Range(0, scenario.Clients).Select(i => new ClientRecorder(i, collectIntervals: false)).ToArray();
        long firstTerm = 0, lastTerm = 0;

        var elapsed = await PrimitiveRun.RunAsync(target, scenario,
            async (candidate, warmUpName, ct) =>
            {
                var leadership = await candidate.CampaignAsync(warmUpName, "warm-up", scenario.Wait, scenario.Ttl, ct).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"{target.Name}: warm-up campaign not won within {scenario.Wait.TotalSeconds} s.");
                await leadership.ResignAsync().ConfigureAwait(false);
            },
            async (candidate, index, stop) =>
            {
                var recorder = recorders[index];
                var candidateNumber = hooks.FirstCandidate + index;
                var value = "candidate-" + candidateNumber.ToString(CultureInfo.InvariantCulture);
                while (!stop.IsCancellationRequested)
                {
                    var waitStarted = Stopwatch.GetTimestamp();
                    IHeldLeadership? leadership;
                    try
                    {
                        leadership = await candidate.CampaignAsync(election, value, scenario.Wait, scenario.Ttl, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        recorder.Error("campaign: " + LockScenarioRunner.Describe(e));
                        await PrimitiveRun.PauseAfterErrorAsync(stop).ConfigureAwait(false);
                        continue;
                    }
                    if (leadership is null)
                    {
                        recorder.Error("campaign: wait timeout");
                        continue;
                    }
                    var elected = Stopwatch.GetTimestamp();
                    Histograms.RecordTicks(recorder.Wait, elected - waitStarted);
                    recorder.Acquisitions++;
                    monitor.Elected(leadership.Term);
                    hooks.OnElected?.Invoke(candidateNumber, leadership.Term, elected);
                    Interlocked.CompareExchange(ref firstTerm, leadership.Term, 0);
                    Interlocked.Exchange(ref lastTerm, leadership.Term);
                    await PrimitiveRun.HoldAsync(scenario.Hold).ConfigureAwait(false);
                    if (leadership.IsLost)
                        recorder.Error("lost while leading");
                    monitor.Resigning();
                    if (hooks.Leaderships is { } leaderships)
                        lock (leaderships)
                            leaderships.Add(new HoldInterval(candidateNumber, 0, waitStarted, elected, Stopwatch.GetTimestamp(), leadership.Term));
                    hooks.OnResigning?.Invoke(candidateNumber);
                    try
                    {
                        await leadership.ResignAsync().ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        recorder.Error("resign: " + LockScenarioRunner.Describe(e));
                    }
                }
            },
            cancellationToken, hooks.BeforeMeasuring).ConfigureAwait(false);

        return new ElectionStats
        {
            Target = target.Name,
            Library = target.Library,
            Candidates = scenario.Clients,
            HoldMs = scenario.Hold.TotalMilliseconds,
            ElapsedSeconds = elapsed.TotalSeconds,
            Turnovers = monitor.Turnovers,
            CampaignWait = PrimitiveRun.Waits(recorders),
            Jain = Fairness.JainIndex(recorders.Select(r => r.Acquisitions).ToArray()),
            Overlaps = monitor.Overlaps,
            TermsNotRising = monitor.TermsNotRising,
            FirstTerm = firstTerm,
            LastTerm = lastTerm,
            Errors = PrimitiveRun.Errors(recorders),
        };
    }

    /// <summary>The one election a scenario's candidates (in every process) campaign in.</summary>
    public static string ElectionOf(string runId, PrimitiveScenario scenario)
        => $"stress/{runId}/election/{scenario.Clients}" + (scenario.KillLeader ? "-kill-leader" : "");
}
