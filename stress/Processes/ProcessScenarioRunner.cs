using System.Diagnostics;
using System.Globalization;
using System.Reflection;
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
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);

    public static async Task<LockScenarioStats> RunAsync(LockScenario scenario, LockTarget target, StressServers servers, string runId, LockTargetCatalog.Settings settings,
        ServerKillFault? serverKill, ScenarioProgress progress, CancellationToken cancellationToken)
    {
        scenario.Validate();
        if (!target.SupportsProcesses)
            throw new ArgumentException($"{target.Name} holds locks inside one process; it cannot run with processes ≥ 2.", nameof(scenario));
        var folder = Path.Combine(Path.GetTempPath(), $"coord-stress-{runId}", scenario.Name);
        Directory.CreateDirectory(folder);
        var workers = new List<Worker>();
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
                workers.Add(Worker.Start(w, path, assignment));
                first += clients;
            }

            using (var readyTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                readyTimeout.CancelAfter(ReadyTimeout);
                await Task.WhenAll(workers.Select(w => w.Ready.Task.WaitAsync(readyTimeout.Token))).ConfigureAwait(false);
            }
            var serverBefore = await LockScenarioRunner.ReadServerCountersAsync(target, cancellationToken).ConfigureAwait(false);
            progress.Reset();
            var started = Stopwatch.GetTimestamp();
            foreach (var worker in workers)
                await worker.SendAsync(WorkerProtocol.Go).ConfigureAwait(false);
            using var ticker = new Timer(_ => progress.External = workers.Sum(w => Interlocked.Read(ref w.Acquisitions)), null, 200, 200);

            var outcome = new Dictionary<string, double>();
            Worker? killed = null;
            (int Client, int NameIndex, long Fence, long At)? killedHold = null;
            long killedAt = 0;
            Func<Task>? undo = null;
            if (scenario.Load.During is { } during && scenario.Fault != FaultMode.None)
            {
                await Task.Delay(during / 3, cancellationToken).ConfigureAwait(false);
                if (scenario.Fault == FaultMode.KillHolder)
                    (killed, killedHold, killedAt) = await KillAHolderAsync(workers, scenario.Hold, cancellationToken).ConfigureAwait(false);
                else if (serverKill is not null)
                    undo = await serverKill.Attach(new LockRunHooks()).InjectFault!(progress, cancellationToken).ConfigureAwait(false);
            }

            var limit = (scenario.Load.During ?? TimeSpan.FromMinutes(10)) + TimeSpan.FromMinutes(2);
            using (var exitTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                exitTimeout.CancelAfter(limit);
                await Task.WhenAll(workers.Select(w => w.Process.WaitForExitAsync(exitTimeout.Token))).ConfigureAwait(false);
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (undo is not null)
                await undo().ConfigureAwait(false);
            var serverAfter = await LockScenarioRunner.ReadServerCountersAsync(target, cancellationToken).ConfigureAwait(false);

            var parts = new List<LockScenarioStats>();
            var intervals = new List<HoldInterval>();
            foreach (var worker in workers.Where(w => w != killed))
            {
                if (worker.Process.ExitCode != 0 || !File.Exists(worker.Assignment.StatsPath))
                    throw new InvalidOperationException($"Worker {worker.Index} of {scenario.Name} failed (exit code {worker.Process.ExitCode}): {worker.ErrorText()}");
                parts.Add(JsonSerializer.Deserialize<LockScenarioStats>(await File.ReadAllTextAsync(worker.Assignment.StatsPath, cancellationToken).ConfigureAwait(false), StressJson.Options)!);
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
            foreach (var worker in workers)
                worker.Dispose();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(Worker, (int, int, long, long)?, long)> KillAHolderAsync(List<Worker> workers, TimeSpan hold, CancellationToken cancellationToken)
    {
        // Wait for a worker caught early in its critical section (so its release is not already on the
        // way), then SIGKILL it there.
        var fresh = Math.Max(1, (long)(hold.TotalSeconds / 2 * Stopwatch.Frequency));
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var worker in workers)
            {
                if (worker.CurrentHold is { } current && Stopwatch.GetTimestamp() - current.At < fresh)
                {
                    worker.Process.Kill(entireProcessTree: true);
                    var at = Stopwatch.GetTimestamp();
                    // Waiting for the exit drains its output: a FREE printed before it died means it had let go already.
                    await worker.Process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                    return (worker, worker.CurrentHold, at);
                }
            }
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
        var victim = workers[0];
        victim.Process.Kill(entireProcessTree: true);
        return (victim, null, Stopwatch.GetTimestamp());
    }

    private static LockScenarioStats Merge(LockScenario scenario, LockTarget target, List<LockScenarioStats> parts, List<HoldInterval> intervals, TimeSpan elapsed,
        Dictionary<string, long> serverRequests, Dictionary<string, double> outcome, Worker? killed)
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

    private sealed class Worker : IDisposable
    {
        private readonly System.Text.StringBuilder _errors = new();
        private (int Client, int NameIndex, long Fence, long At)? _hold;

        private Worker(int index, Process process, WorkerAssignment assignment)
        {
            Index = index;
            Process = process;
            Assignment = assignment;
        }

        public int Index { get; }
        public Process Process { get; }
        public WorkerAssignment Assignment { get; }
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long Acquisitions;

        public (int Client, int NameIndex, long Fence, long At)? CurrentHold
        {
            get
            {
                lock (_errors)
                    return _hold;
            }
        }

        public static Worker Start(int index, string assignmentPath, WorkerAssignment assignment)
        {
            var info = new ProcessStartInfo
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // Re-launch this program: its own executable when it is the entry point, else (under
            // "dotnet Coord.Stress.dll", or in-process from a test host) the dotnet host with its assembly.
            var self = Environment.ProcessPath;
            var stress = typeof(WorkerCommand).Assembly;
            if (self is not null && Assembly.GetEntryAssembly() == stress && Path.GetFileNameWithoutExtension(self) != "dotnet")
            {
                info.FileName = self;
            }
            else
            {
                info.FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
                info.ArgumentList.Add(stress.Location);
            }
            info.ArgumentList.Add("worker");
            info.ArgumentList.Add("--assignment");
            info.ArgumentList.Add(assignmentPath);
            var process = new Process { StartInfo = info };
            var worker = new Worker(index, process, assignment);
            process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                    lock (worker._errors)
                        worker._errors.AppendLine(e.Data);
            };
            process.Exited += (_, _) => worker.Ready.TrySetException(new InvalidOperationException($"Worker {index} exited before it was ready: {worker.ErrorText()}"));
            process.EnableRaisingEvents = true;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return worker;
        }

        public async Task SendAsync(string line)
        {
            await Process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
            await Process.StandardInput.FlushAsync().ConfigureAwait(false);
        }

        public string ErrorText()
        {
            lock (_errors)
                return _errors.Length == 0 ? "(no error output)" : _errors.ToString().Trim();
        }

        private void OnLine(string? line)
        {
            if (line is null)
                return;
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case WorkerProtocol.Ready:
                    Ready.TrySetResult();
                    break;
                case WorkerProtocol.Progress:
                    Interlocked.Exchange(ref Acquisitions, long.Parse(parts[1], CultureInfo.InvariantCulture));
                    break;
                case WorkerProtocol.Hold:
                    lock (_errors)
                        _hold = (int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture),
                            long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture));
                    break;
                case WorkerProtocol.Free:
                    lock (_errors)
                        _hold = null;
                    break;
            }
        }

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                    Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            Process.Dispose();
        }
    }
}
