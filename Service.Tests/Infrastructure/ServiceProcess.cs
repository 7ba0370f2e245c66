using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>
/// The service's own executable as a separate process, as an operator starts it: configured only
/// through its arguments and the environment given here (the test runner's Coord and ASP.NET Core
/// variables are removed), with its output collected.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _lineAdded = new(0);

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data, isLine: true);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data, isLine: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static ServiceProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Coord.Service.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var key in start.Environment.Keys.Where(IsInherited).ToList())
            start.Environment.Remove(key);
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        return new ServiceProcess(Process.Start(start)!);
    }

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
                return _stdout.ToString();
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>Waits for the process to end by itself (at most 60 s) and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>Asks the service to shut down as an orchestrator does (SIGTERM) and waits until it has, with its output flushed.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        return await ExitCodeAsync();
    }

    /// <summary>The first standard-output line containing <paramref name="text"/> (at most 60 s).</summary>
    public async Task<string> WaitForLineAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (_lines[seen].Contains(text, StringComparison.Ordinal))
                        return _lines[seen];
                }
            }
            if (_process.HasExited && seen == LineCount())
                throw new InvalidOperationException($"The service exited ({_process.ExitCode}) without writing '{text}'. Output:\n{StandardOutput}\nErrors:\n{StandardError}");
            await _lineAdded.WaitAsync(TimeSpan.FromMilliseconds(200), timeout.Token);
        }
    }

    /// <summary>Standard-output lines written so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _lineAdded.Dispose();
    }

    private int LineCount()
    {
        lock (_lines)
            return _lines.Count;
    }

    private void Append(StringBuilder target, string? line, bool isLine)
    {
        if (line is null)
            return;
        lock (target)
            target.AppendLine(line);
        if (!isLine)
            return;
        lock (_lines)
            _lines.Add(line);
        _lineAdded.Release();
    }

    private static bool IsInherited(string key)
        => key.StartsWith("Coord__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("DOTNET_URLS", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DOTNET_HTTP", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase);
}
