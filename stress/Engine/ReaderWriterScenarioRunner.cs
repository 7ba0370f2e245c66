using System.Diagnostics;
using Coord.Stress.Targets;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Stress.Engine;

/// <summary>
/// Runs one <c>rwlocks</c> scenario: every client repeats, on one name, acquire a read hold (with probability
/// <see cref="PrimitiveScenario.ReadFraction"/>) or the write hold → hold → release, while a
/// <see cref="ReaderWriterMonitor"/> checks that no writer is ever beside anyone else.
/// </summary>
public static class ReaderWriterScenarioRunner
{
    public static async Task<ReaderWriterStats> RunAsync(PrimitiveTarget<IReaderWriterClient> target, PrimitiveScenario scenario, string runId, CancellationToken cancellationToken)
    {
        var name = $"stress/{runId}/rw/{scenario.Clients}";
        var monitor = new ReaderWriterMonitor();
        var reads = Enumerable.Range(0, scenario.Clients).Select(i => new ClientRecorder(i, collectIntervals: false)).ToArray();
        var writes = Enumerable.Range(0, scenario.Clients).Select(i => new ClientRecorder(i, collectIntervals: false)).ToArray();

        var elapsed = await PrimitiveRun.RunAsync(target, scenario,
            async (client, warmUpName, ct) =>
            {
                foreach (var write in new[] { false, true })
                {
                    var held = await client.AcquireAsync(warmUpName, write, scenario.Wait, scenario.Ttl, ct).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"{target.Name}: warm-up hold not had within {scenario.Wait.TotalSeconds} s.");
                    await held.ReleaseAsync().ConfigureAwait(false);
                }
            },
            (client, index, stop) => LoopAsync(client, name, scenario, monitor, reads[index], writes[index], new Random(index * 7919 + 17), stop),
            cancellationToken).ConfigureAwait(false);

        return new ReaderWriterStats
        {
            Target = target.Name,
            Library = target.Library,
            Clients = scenario.Clients,
            ReadFraction = scenario.ReadFraction,
            HoldMs = scenario.Hold.TotalMilliseconds,
            ElapsedSeconds = elapsed.TotalSeconds,
            Reads = reads.Sum(r => r.Acquisitions),
            Writes = writes.Sum(r => r.Acquisitions),
            ReadWait = PrimitiveRun.Waits(reads),
            WriteWait = PrimitiveRun.Waits(writes),
            Jain = Fairness.JainIndex(reads.Zip(writes, (r, w) => r.Acquisitions + w.Acquisitions).ToArray()),
            PeakReaders = monitor.PeakReaders,
            Violations = monitor.Violations,
            FencesOutOfOrder = monitor.FencesOutOfOrder,
            Errors = PrimitiveRun.Errors(reads.Concat(writes)),
        };
    }

    private static async Task LoopAsync(IReaderWriterClient client, string name, PrimitiveScenario scenario, ReaderWriterMonitor monitor,
        ClientRecorder reads, ClientRecorder writes, Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var write = random.NextDouble() >= scenario.ReadFraction;
            var recorder = write ? writes : reads;
            var waitStarted = Stopwatch.GetTimestamp();
            IHeldLock? held;
            try
            {
                held = await client.AcquireAsync(name, write, scenario.Wait, scenario.Ttl, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                recorder.Error("acquire: " + LockScenarioRunner.Describe(e));
                await PrimitiveRun.PauseAfterErrorAsync(stop).ConfigureAwait(false);
                continue;
            }
            if (held is null)
            {
                recorder.Error("acquire: wait timeout");
                continue;
            }
            Histograms.RecordTicks(recorder.Wait, Stopwatch.GetTimestamp() - waitStarted);
            recorder.Acquisitions++;
            monitor.Enter(write, held.FencingToken);
            await PrimitiveRun.HoldAsync(scenario.Hold).ConfigureAwait(false);
            if (held.IsLost)
                recorder.Error("lost during hold");
            monitor.Exit(write);
            try
            {
                await held.ReleaseAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                recorder.Error("release: " + LockScenarioRunner.Describe(e));
            }
        }
    }
}
