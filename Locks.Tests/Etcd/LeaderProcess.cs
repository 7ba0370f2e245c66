using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Coord.Locks.Tests.Etcd;

/// <summary>
/// A separate process (tools/Coord.LockHolder in its etcd-leader or zookeeper-leader mode) that campaigns and leads until killed,
/// for crash and pause tests: SIGKILL leaves a leadership nobody resigns, SIGSTOP one nobody renews.
/// </summary>
internal sealed class LeaderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines;

    private LeaderProcess(Process process, Channel<string> lines, long term)
    {
        _process = process;
        _lines = lines;
        Term = term;
    }

    /// <summary>The term the process was elected with.</summary>
    public long Term { get; }

    /// <summary>Starts the candidate and waits until it prints "LEADER &lt;term&gt;".</summary>
    /// <param name="mode">The holder's mode: <c>etcd-leader</c> (the default), <c>redis-leader</c>, <c>postgres-leader</c> or <c>zookeeper-leader</c>, with <paramref name="endpoints"/> in that backend's form.</param>
    public static async Task<LeaderProcess> StartAsync(string endpoints, string election, TimeSpan ttl, string value, TimeSpan timeout, string mode = Coord.LockHolder.LeaderMode.Name)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Coord.LockHolder.dll"), mode, endpoints, election, ttl.TotalSeconds.ToString(CultureInfo.InvariantCulture), value })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the leader process.");
        var lines = Channel.CreateUnbounded<string>();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                lines.Writer.TryWrite(line);
            lines.Writer.TryComplete();
        });
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await foreach (var line in lines.Reader.ReadAllAsync(cts.Token))
            {
                if (line.StartsWith("LEADER ", StringComparison.Ordinal))
                    return new LeaderProcess(process, lines, long.Parse(line[7..], CultureInfo.InvariantCulture));
            }
            await process.WaitForExitAsync(cts.Token);
            throw new InvalidOperationException($"The leader process exited ({process.ExitCode}) without being elected: {await errors}");
        }
        catch
        {
            if (!process.HasExited)
                process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>The next line the process prints, within <paramref name="timeout"/>.</summary>
    public async Task<string> NextLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _lines.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Has the process write <paramref name="payload"/> to the fenced register with its term; true when accepted.</summary>
    public async Task<bool> WriteAsync(string register, string payload, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync($"WRITE {register} {payload}");
        await _process.StandardInput.FlushAsync();
        while (true)
        {
            var line = await NextLineAsync(timeout);
            if (line is "ACCEPTED" or "REFUSED")
                return line == "ACCEPTED";
        }
    }

    /// <summary>SIGKILL: the leader vanishes without resigning, as in a crash.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the leader stalls (a long GC pause, a stopped VM) with its sockets open.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume();
            Kill();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
