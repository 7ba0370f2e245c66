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
    public static async Task<ElectionStats> RunAsync(PrimitiveTarget<IElectionCandidate> target, PrimitiveScenario scenario, string runId, CancellationToken cancellationToken)
    {
        var election = $"stress/{runId}/election/{scenario.Clients}";
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
                var value = "candidate-" + index.ToString(CultureInfo.InvariantCulture);
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
                    Histograms.RecordTicks(recorder.Wait, Stopwatch.GetTimestamp() - waitStarted);
                    recorder.Acquisitions++;
                    monitor.Elected(leadership.Term);
                    Interlocked.CompareExchange(ref firstTerm, leadership.Term, 0);
                    Interlocked.Exchange(ref lastTerm, leadership.Term);
                    await PrimitiveRun.HoldAsync(scenario.Hold).ConfigureAwait(false);
                    if (leadership.IsLost)
                        recorder.Error("lost while leading");
                    monitor.Resigning();
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
            cancellationToken).ConfigureAwait(false);

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
}
