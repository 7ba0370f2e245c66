using System.Diagnostics;
using Coord.Locks;
using Coord.Stress.Engine;
using Coord.Stress.Targets;

namespace Coord.Stress.Faults;

/// <summary>
/// The "process pause" fault (Kleppmann 2016): one holder takes a bare lease that nothing renews, writes,
/// stalls for 1.5 × TTL (a GC pause, a stopped VM), then writes again with its old fencing token. The
/// other clients keep taking the lock normally and write with theirs. The fenced resource counts how many
/// late writes were stale and how many of those its token check stopped.
/// </summary>
public static class PausedHolderScenario
{
    public static async Task<LockScenarioStats> RunAsync(LockScenario scenario, CoordLockTarget target, string runId, ScenarioProgress progress, CancellationToken cancellationToken)
    {
        scenario.Validate();
        if (scenario.Load.Copies < 2)
            throw new ArgumentException("The pause-holder fault needs at least 2 clients: one that stalls and one that takes over.", nameof(scenario));
        var resource = new FencedResource(scenario.FencedResourceChecks);
        var name = scenario.LockName(runId, 0);
        var providers = Enumerable.Range(0, scenario.Load.Copies).Select(_ => target.CreateProvider()).ToArray();
        var monitor = new ExclusionMonitor(1);
        var recorders = Enumerable.Range(0, scenario.Load.Copies).Select(i => new ClientRecorder(i, collectIntervals: false)).ToArray();
        long pauses = 0;
        try
        {
            using var stop = new CancellationTokenSource(scenario.Load.During ?? TimeSpan.FromSeconds(10));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var pauser = Task.Run(() => PauserLoopAsync(providers[0], recorders[0], name, scenario, resource, progress, () => Interlocked.Increment(ref pauses), linked.Token));
            var others = providers.Skip(1).Select((p, i) => Task.Run(() => HolderLoopAsync(p, recorders[i + 1], name, scenario, resource, monitor, progress, linked.Token))).ToArray();
            await Task.WhenAll(others.Append(pauser)).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var stats = LockScenarioRunner.BuildStats(scenario, target, recorders, monitor, elapsed, [], []);
            stats.FaultOutcome["pauses"] = Interlocked.Read(ref pauses);
            stats.FaultOutcome["stale writes attempted"] = resource.StaleAttempted;
            stats.FaultOutcome["stale writes stopped by fencing"] = resource.StaleStopped;
            stats.FaultOutcome["stale writes landed"] = resource.StaleLanded;
            stats.FaultOutcome["current holder writes rejected"] = resource.CurrentWritesRejected;
            stats.Notes.Add(resource.ChecksTokens
                ? (target.SupportsFencing ? "resource rejects writes with an older fencing token" : "resource would check tokens, but this backend issues none")
                : "resource accepts every write (no token check)");
            return stats;
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task PauserLoopAsync(LockProvider provider, ClientRecorder recorder, string name, LockScenario scenario, FencedResource resource,
        ScenarioProgress progress, Func<long> countPause, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var waitStarted = Stopwatch.GetTimestamp();
            LockLease? lease;
            try
            {
                lease = await provider.TryAcquireLeaseAsync(name, scenario.Wait, scenario.Ttl, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            if (lease is null)
            {
                recorder.Error("acquire: wait timeout");
                continue;
            }
            Histograms.RecordTicks(recorder.Wait, Stopwatch.GetTimestamp() - waitStarted);
            recorder.Acquisitions++;
            progress.Acquired();
            var ownWrite = resource.Write(lease.FencingToken);
            // The stall: nothing renews a bare lease, so it runs out while this holder still believes in it.
            await Task.Delay(scenario.Ttl * 1.5, CancellationToken.None).ConfigureAwait(false);
            resource.WriteLate(lease.FencingToken, ownWrite);
            countPause();
            try
            {
                await provider.ReleaseAsync(name, lease.HolderToken, CancellationToken.None).ConfigureAwait(false);
            }
            catch (LockException e)
            {
                recorder.Error("release after pause: " + e.GetType().Name);
            }
        }
    }

    private static async Task HolderLoopAsync(LockProvider provider, ClientRecorder recorder, string name, LockScenario scenario, FencedResource resource,
        ExclusionMonitor monitor, ScenarioProgress progress, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var waitStarted = Stopwatch.GetTimestamp();
            ILockHandle? handle;
            try
            {
                handle = await provider.TryAcquireAsync(name, scenario.Wait, scenario.Ttl, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (LockException e)
            {
                recorder.Error("acquire: " + LockScenarioRunner.Describe(e));
                continue;
            }
            if (handle is null)
            {
                recorder.Error("acquire: wait timeout");
                continue;
            }
            await using (handle.ConfigureAwait(false))
            {
                var acquired = Stopwatch.GetTimestamp();
                long? fence = handle.HasFencingToken ? handle.FencingToken : null;
                var handoff = monitor.Enter(0, recorder.Client, waitStarted, acquired, fence);
                Histograms.RecordTicks(recorder.Wait, acquired - waitStarted);
                if (handoff is { } h)
                    Histograms.RecordTicks(recorder.Handoff, h);
                recorder.Acquisitions++;
                progress.Acquired();
                resource.Write(fence);
                if (scenario.Hold > TimeSpan.Zero)
                    await Task.Delay(scenario.Hold, CancellationToken.None).ConfigureAwait(false);
                monitor.Exit(0, recorder.Client, Stopwatch.GetTimestamp());
            }
        }
    }
}
