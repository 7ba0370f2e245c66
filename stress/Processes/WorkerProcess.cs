using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Coord.Stress.Processes;

/// <summary>
/// One worker process of a scenario: this program re-launched with a hidden command and an assignment file. Reads the
/// lines it prints (<see cref="WorkerProtocol"/>): ready, progress, and with holds announced the hold it is in.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);

    private readonly System.Text.StringBuilder _errors = new();
    private (int Client, int NameIndex, long Fence, long At)? _hold;

    private WorkerProcess(int index, Process process, WorkerAssignmentBase assignment)
    {
        Index = index;
        Process = process;
        Assignment = assignment;
    }

    public int Index { get; }
    public Process Process { get; }
    public WorkerAssignmentBase Assignment { get; }
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

    /// <param name="command">The hidden command the worker runs: <c>worker</c> (locks) or <c>election-worker</c>.</param>
    public static WorkerProcess Start(int index, string command, string assignmentPath, WorkerAssignmentBase assignment)
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
        info.ArgumentList.Add(command);
        info.ArgumentList.Add("--assignment");
        info.ArgumentList.Add(assignmentPath);
        var process = new Process { StartInfo = info };
        var worker = new WorkerProcess(index, process, assignment);
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

    /// <summary>
    /// SIGKILLs a worker caught early in a hold (a lock, or a leadership) and waits for it to die; returns it, the hold it
    /// died in (null when none was caught within 10 s and the first worker was killed instead) and when it was killed.
    /// </summary>
    public static async Task<(WorkerProcess, (int, int, long, long)?, long)> KillOneHoldingAsync(IReadOnlyList<WorkerProcess> workers, TimeSpan hold, CancellationToken cancellationToken)
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

    /// <summary>Waits until every worker has its clients connected and warmed up (at most 2 minutes).</summary>
    public static async Task WaitAllReadyAsync(IEnumerable<WorkerProcess> workers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        await Task.WhenAll(workers.Select(w => w.Ready.Task.WaitAsync(timeout.Token))).ConfigureAwait(false);
    }

    /// <summary>Tells every worker to start measuring; returns when the first was told.</summary>
    public static async Task<long> GoAsync(IEnumerable<WorkerProcess> workers)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var worker in workers)
            await worker.SendAsync(WorkerProtocol.Go).ConfigureAwait(false);
        return started;
    }

    /// <summary>Waits for every worker to exit: the run's <paramref name="duration"/> and 2 minutes more at most.</summary>
    public static async Task WaitAllExitedAsync(IEnumerable<WorkerProcess> workers, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(duration + TimeSpan.FromMinutes(2));
        await Task.WhenAll(workers.Select(w => w.Process.WaitForExitAsync(timeout.Token))).ConfigureAwait(false);
    }

    /// <summary>The stats the worker wrote; throws with its error output when it failed.</summary>
    public async Task<TStats> ReadStatsAsync<TStats>(string scenario, CancellationToken cancellationToken)
    {
        if (Process.ExitCode != 0 || !File.Exists(Assignment.StatsPath))
            throw new InvalidOperationException($"Worker {Index} of {scenario} failed (exit code {Process.ExitCode}): {ErrorText()}");
        return JsonSerializer.Deserialize<TStats>(await File.ReadAllTextAsync(Assignment.StatsPath, cancellationToken).ConfigureAwait(false), StressJson.Options)!;
    }

    /// <summary>Kills the workers still running and deletes the scenario's <paramref name="folder"/> of assignments and results.</summary>
    public static void DisposeAll(IEnumerable<WorkerProcess> workers, string folder)
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
