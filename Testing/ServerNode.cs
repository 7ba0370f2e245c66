using System.Diagnostics;
using System.Net.Sockets;

namespace Coord.Testing;

/// <summary>
/// One throwaway server process on a loopback port with its own temporary data directory. It can be
/// stopped, killed (SIGKILL), paused (SIGSTOP) and restarted on the same port and data, and it dies
/// with the test host: a watchdog process kills it if the host goes away without disposing it.
/// </summary>
public abstract class ServerNode : IAsyncDisposable
{
    private Process? _process;
    private Process? _watchdog;
    private int _disposed;

    protected ServerNode(string name, int port, string dataDirectory)
    {
        Name = name;
        Port = port;
        DataDirectory = dataDirectory;
        Directory.CreateDirectory(dataDirectory);
    }

    /// <summary>Short label for messages, such as <c>etcd-2</c>.</summary>
    public string Name { get; }

    public string Host => "127.0.0.1";

    /// <summary>The client port; it stays the same across restarts.</summary>
    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>Where the server's standard output and error go; read it when a test fails.</summary>
    public string LogPath => Path.Combine(DataDirectory, "server.log");

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    public bool IsPaused { get; private set; }

    /// <summary>How long <see cref="StartAsync"/> waits for the server to answer before giving up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The program and arguments that run the server in the foreground.</summary>
    protected abstract (string Program, IReadOnlyList<string> Arguments) Command();

    /// <summary>True once the server answers on its port.</summary>
    protected abstract Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    /// <summary>Called before each start: write config files, create directories.</summary>
    protected virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts the server (again, after a stop or kill: same port, same data) and waits until it answers.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await LaunchAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task LaunchAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsRunning)
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id}).");
        await PrepareAsync(cancellationToken).ConfigureAwait(false);
        var (program, arguments) = Command();
        // exec keeps the pid the server's own, so kill/pause reach it and not a wrapper shell.
        var script = "exec " + Quote(program) + " " + string.Join(' ', arguments.Select(Quote)) + " >>" + Quote(LogPath) + " 2>&1";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = DataDirectory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program} for {Name}.");
        IsPaused = false;
        await File.WriteAllTextAsync(Path.Combine(DataDirectory, "server.pid"), _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        _watchdog = StartWatchdog(_process.Id);
    }

    internal async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is null || _process.HasExited)
                throw new InvalidOperationException($"{Name} exited during start-up (exit code {_process?.ExitCode}). Log {LogPath}:\n{TailLog()}");
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    if (await IsReadyAsync(attempt.Token).ConfigureAwait(false))
                        return;
                }
                catch (Exception ex) when (ex is SocketException or IOException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // Not listening yet.
                }
            }
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"{Name} did not answer on {Host}:{Port} within {StartTimeout.TotalSeconds:0} s. Log {LogPath}:\n{TailLog()}");
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the server to shut down (SIGTERM) and waits; kills it if it does not stop in time.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        var process = _process;
        if (process is null || process.HasExited)
            return;
        if (IsPaused)
            Resume();
        Signal(process.Id, "TERM");
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
        StopWatchdog();
    }

    /// <summary>SIGKILL: the server vanishes without any shutdown, as in a crash or power loss.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null || process.HasExited)
            return;
        process.Kill();
        process.WaitForExit(10_000);
        IsPaused = false;
        StopWatchdog();
    }

    /// <summary>SIGSTOP: the process keeps its sockets but answers nothing, as in a long GC pause.</summary>
    public void Pause()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        Signal(process.Id, "STOP");
        IsPaused = true;
        WaitUntilEveryThreadStopped(process.Id);
    }

    /// <summary>
    /// SIGSTOP reaches the threads of a process one by one; until all have stopped, a JVM can still
    /// answer a request sent right after <see cref="Pause"/>. Waits (briefly) until /proc shows every thread stopped.
    /// </summary>
    private static void WaitUntilEveryThreadStopped(int pid)
    {
        var deadline = Environment.TickCount64 + 5_000;
        while (Environment.TickCount64 < deadline)
        {
            try
            {
                var allStopped = Directory.EnumerateDirectories($"/proc/{pid}/task").All(task =>
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    // The state letter follows the parenthesised command name, which may itself hold spaces.
                    var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                    return state is 'T' or 't' or 'Z' or 'X';
                });
                if (allStopped)
                    return;
            }
            catch (IOException)
            {
                return; // the process or a thread is gone
            }
            Thread.Sleep(5);
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        Signal(process.Id, "CONT");
        IsPaused = false;
    }

    /// <summary>Stops (or kills, when <paramref name="kill"/>) and starts again on the same port and data.</summary>
    public async Task RestartAsync(bool kill = false, CancellationToken cancellationToken = default)
    {
        if (kill)
            Kill();
        else
            await StopAsync().ConfigureAwait(false);
        await StartAgainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last lines of the server's log, for failure messages.</summary>
    public string TailLog(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Kill();
        _process?.Dispose();
        await Task.Yield();
        TestDirectories.Delete(DataDirectory);
        GC.SuppressFinalize(this);
    }

    public override string ToString() => $"{Name} ({Host}:{Port})";

    private static Process StartWatchdog(int serverPid)
    {
        // A separate session survives the host; it kills the server once the host is gone, so a
        // crashed or cancelled test run leaves nothing behind.
        var hostPid = Environment.ProcessId;
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = false };
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"while kill -0 {hostPid} 2>/dev/null && kill -0 {serverPid} 2>/dev/null; do sleep 0.5; done; kill -9 {serverPid} 2>/dev/null; exit 0");
        return Process.Start(start)!;
    }

    private void StopWatchdog()
    {
        try
        {
            if (_watchdog is { HasExited: false })
                _watchdog.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _watchdog?.Dispose();
        _watchdog = null;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Starts a freshly created node, disposing it (process and data) if it does not come up.</summary>
    protected static async Task<T> StartOrDisposeAsync<T>(T node, CancellationToken cancellationToken) where T : ServerNode
    {
        try
        {
            await node.StartAgainAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Finds an installed server binary, or explains how to install it.</summary>
    protected internal static string RequireBinary(string path, string package)
    {
        if (File.Exists(path))
            return path;
        throw new ServerBinaryMissingException(path, $"sudo apt-get install -y {package} (or run scripts/test, which installs it)");
    }
}
