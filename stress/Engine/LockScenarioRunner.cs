using System.Diagnostics;
using Coord.Locks;
using Coord.Stress.Targets;

namespace Coord.Stress.Engine;

/// <summary>
/// Runs the clients of one lock scenario in this process: warm-up, then the measured part in which
/// every client repeats the steps acquire → hold → release, then the stats.
/// </summary>
public static class LockScenarioRunner
{
    private static readonly TimeSpan WarmUpWait = TimeSpan.FromSeconds(30);

    public static async Task<LockScenarioStats> RunAsync(LockScenario scenario, LockTarget target, string runId, LockRunHooks hooks, CancellationToken cancellationToken)
    {
        scenario.Validate();
        var clientCount = hooks.Clients > 0 ? hooks.Clients : scenario.Load.Copies;
        var names = Enumerable.Range(0, scenario.Names).Select(i => scenario.LockName(runId, i)).ToArray();
        var clients = new ILockClient[clientCount];
        try
        {
            for (var i = 0; i < clientCount; i++)
                clients[i] = await target.CreateClientAsync(cancellationToken).ConfigureAwait(false);

            // Warm-up: connect every client and run its acquire-release path outside the measured part, until
            // the runtime has compiled it fully (tiered JIT promotes a method after some calls and a delay;
            // see JitQuiet). Otherwise the first target measured in a process runs part of its scenario
            // on unoptimised code, and JIT work of its own and of the shared client libraries (gRPC, HTTP/2)
            // lands in its numbers while the targets measured after it find that work already done.
            var warming = JitQuiet.ForWarmUp();
            await Task.WhenAll(clients.Select(async (c, i) =>
            {
                do
                {
                    var acquiring = c.AcquireAsync($"stress/{runId}/warm-up/{hooks.FirstClient + i}", WarmUpWait, scenario.Ttl, cancellationToken);
                    var answeredAtOnce = acquiring.IsCompleted;
                    var held = await acquiring.ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"{target.Name}: warm-up lock not acquired within {WarmUpWait.TotalSeconds} s.");
                    await held.ReleaseAsync().ConfigureAwait(false);
                    if (answeredAtOnce)
                        await Task.Yield(); // see ClientLoopAsync
                }
                while (warming.KeepWarming);
            })).ConfigureAwait(false);

            var requestsBefore = target.ClientRequestCounts();
            var serverBefore = hooks.MeasureServerCounters ? await ReadServerCountersBeforeMeasuringAsync(target, cancellationToken).ConfigureAwait(false) : null;
            if (hooks.BeforeMeasuring is { } beforeMeasuring)
                await beforeMeasuring(cancellationToken).ConfigureAwait(false);
            hooks.Progress.Reset();

            var monitor = new ExclusionMonitor(scenario.Names, scenario.Capacity);
            // A semaphore's token order can only be judged from the intervals (its grants overlap), so they are always kept.
            var collectIntervals = hooks.Intervals is not null || scenario.Permits is not null;
            var recorders = Enumerable.Range(0, clientCount).Select(i => new ClientRecorder(hooks.FirstClient + i, collectIntervals)).ToArray();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var remaining = scenario.Load.Iterations ?? long.MaxValue;
            var started = Stopwatch.GetTimestamp();
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            var loops = clients.Select((c, i) => Task.Run(() => ClientLoopAsync(c, recorders[i], scenario, names, monitor, hooks, () => Interlocked.Decrement(ref remaining) >= 0, stop.Token))).ToArray();

            Func<Task>? undoFault = null;
            if (scenario.Load.During is { } during)
            {
                if (hooks.InjectFault is { } inject)
                {
                    await Task.Delay(during / 3, cancellationToken).ConfigureAwait(false);
                    undoFault = await inject(hooks.Progress, cancellationToken).ConfigureAwait(false);
                    await Task.Delay(during - during / 3, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(during, cancellationToken).ConfigureAwait(false);
                }
                await stop.CancelAsync().ConfigureAwait(false);
            }
            await Task.WhenAll(loops).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var clientCpu = Environment.CpuUsage.TotalTime - cpuBefore;
            var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
            var requestsAfter = target.ClientRequestCounts();
            hooks.Intervals?.AddRange(recorders.SelectMany(r => r.Intervals ?? []));
            if (undoFault is not null)
                await undoFault().ConfigureAwait(false);

            await DisposeAllAsync(clients).ConfigureAwait(false);
            clients = [];
            var serverAfter = hooks.MeasureServerCounters ? await ReadServerCountersAsync(target, cancellationToken).ConfigureAwait(false) : null;

            return BuildStats(scenario, target, recorders, monitor, elapsed, Delta(requestsBefore, requestsAfter), Delta(serverBefore, serverAfter)) with { ClientCpuMs = clientCpu.TotalMilliseconds, ClientAllocatedBytes = allocated };
        }
        finally
        {
            await DisposeAllAsync(clients).ConfigureAwait(false);
        }
    }

    private static async Task ClientLoopAsync(ILockClient client, ClientRecorder recorder, LockScenario scenario, string[] names, ExclusionMonitor monitor,
        LockRunHooks hooks, Func<bool> takeIteration, CancellationToken stop)
    {
        var random = new Random(recorder.Client * 7919 + Environment.ProcessId);
        while (!stop.IsCancellationRequested && takeIteration())
        {
            var nameIndex = names.Length == 1 ? 0 : random.Next(names.Length);
            var waitStarted = Stopwatch.GetTimestamp();
            IHeldLock? held;
            var answeredAtOnce = false;
            try
            {
                var acquiring = client.AcquireAsync(names[nameIndex], scenario.Wait, scenario.Ttl, stop);
                answeredAtOnce = acquiring.IsCompleted;
                held = await acquiring.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // the run ended while this client waited
            }
            catch (Exception e)
            {
                recorder.Error("acquire: " + Describe(e));
                hooks.Progress.Failed();
                await PauseAfterErrorAsync(stop).ConfigureAwait(false);
                continue;
            }
            if (held is null)
            {
                recorder.Error("acquire: wait timeout");
                hooks.Progress.Failed();
                continue;
            }

            var acquired = Stopwatch.GetTimestamp();
            var fence = held.FencingToken;
            var handoff = monitor.Enter(nameIndex, recorder.Client, waitStarted, acquired, fence);
            hooks.OnHold?.Invoke(recorder.Client, nameIndex, fence, acquired);
            Histograms.RecordTicks(recorder.Wait, acquired - waitStarted);
            if (handoff is { } h)
                Histograms.RecordTicks(recorder.Handoff, h);
            recorder.Acquisitions++;
            hooks.Progress.Acquired();

            if (scenario.Hold > TimeSpan.Zero)
                await Task.Delay(scenario.Hold, CancellationToken.None).ConfigureAwait(false);
            if (held.IsLost)
                recorder.Error("lost during hold");

            var left = Stopwatch.GetTimestamp();
            monitor.Exit(nameIndex, recorder.Client, left);
            hooks.OnFree?.Invoke(recorder.Client);
            if (recorder.Intervals is { Count: < ClientRecorder.MaxIntervals } intervals)
                intervals.Add(new HoldInterval(recorder.Client, nameIndex, waitStarted, acquired, left, fence ?? HoldInterval.NoFence));
            try
            {
                await held.ReleaseAsync().ConfigureAwait(false);
                Histograms.RecordTicks(recorder.Release, Stopwatch.GetTimestamp() - left);
            }
            catch (Exception e)
            {
                recorder.Error("release: " + Describe(e));
                hooks.Progress.Failed();
            }

            // An in-process backend answers an uncontended acquire at once. A loop that never awaits keeps its
            // thread, and with as many free permits as the 2 cores have threads the clients not yet started
            // would wait for the thread pool to grow instead of for the lock, skewing shares and Jain's index.
            if (answeredAtOnce && scenario.Hold == TimeSpan.Zero)
                await Task.Yield();
        }
    }

    /// <summary>Error kind for the report: the exception type, and for wrapped backend errors the cause's type too.</summary>
    public static string Describe(Exception e) => e is LockBackendException { InnerException: { } inner }
        ? $"{e.GetType().Name} ({inner.GetType().Name})"
        : e.GetType().Name;

    // A dead backend fails fast; pausing keeps an error loop from burning the shared cores.
    private static async Task PauseAfterErrorAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads the target's server counters once they count everything done so far (see <see cref="Servers.IServerCounter.CountsLagBy"/>): the read before a measured part.</summary>
    public static async Task<Dictionary<string, long>> ReadServerCountersBeforeMeasuringAsync(LockTarget target, CancellationToken cancellationToken)
    {
        var lag = target.ServerCounters.Select(c => c.CountsLagBy).DefaultIfEmpty(TimeSpan.Zero).Max();
        if (lag > TimeSpan.Zero)
            await Task.Delay(lag, cancellationToken).ConfigureAwait(false);
        return await ReadServerCountersAsync(target, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<Dictionary<string, long>> ReadServerCountersAsync(LockTarget target, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var counter in target.ServerCounters)
            result[counter.Kind] = result.GetValueOrDefault(counter.Kind) + await counter.ReadAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    public static Dictionary<string, long> Delta(IReadOnlyDictionary<string, long>? before, IReadOnlyDictionary<string, long>? after)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        if (before is null || after is null)
            return delta;
        foreach (var (key, value) in after)
            delta[key] = value - before.GetValueOrDefault(key);
        return delta;
    }

    public static LockScenarioStats BuildStats(LockScenario scenario, LockTarget target, IReadOnlyList<ClientRecorder> recorders, ExclusionMonitor monitor,
        TimeSpan elapsed, Dictionary<string, long> clientRequests, Dictionary<string, long> serverRequests)
    {
        var wait = Histograms.Create();
        var release = Histograms.Create();
        var handoff = Histograms.Create();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in recorders)
        {
            wait.Add(r.Wait);
            release.Add(r.Release);
            handoff.Add(r.Handoff);
            foreach (var (kind, n) in r.Errors)
                errors[kind] = errors.GetValueOrDefault(kind) + n;
        }
        // Semaphores are checked from the recorded intervals too; the live monitor still covers holds past the recording cap.
        var recorded = scenario.Permits is null ? null : IntervalAnalysis.Analyze(recorders.SelectMany(r => r.Intervals ?? []), scenario.Capacity);
        return LockScenarioStats.Describing(scenario, target) with
        {
            ElapsedSeconds = elapsed.TotalSeconds,
            Acquisitions = recorders.Sum(r => r.Acquisitions),
            AcquisitionsPerClient = recorders.Select(r => r.Acquisitions).ToArray(),
            Steps = new()
            {
                ["acquire"] = LatencyStats.From(wait),
                ["release"] = LatencyStats.From(release),
                ["handoff"] = LatencyStats.From(handoff),
            },
            Errors = errors,
            OverlapViolations = Math.Max(monitor.Overlaps, recorded?.Overlaps ?? 0),
            FenceViolations = Math.Max(monitor.FencesOutOfOrder, recorded?.FencesOutOfOrder ?? 0),
            PeakInUse = Math.Max(monitor.PeakInUse, recorded?.PeakInUse ?? 0),
            ClientRequests = clientRequests,
            ServerRequests = serverRequests,
        };
    }

    private static async Task DisposeAllAsync(ILockClient[] clients)
    {
        foreach (var client in clients)
        {
            if (client is null)
                continue;
            try
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A client of a killed server may fail to close; the run's numbers are already taken.
            }
        }
    }
}
