using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Coord.Service.Tests.Ids;

/// <summary>
/// The service's own executable in a separate process whose wall clock is moved by Debian's libfaketime
/// (LD_PRELOAD): every <c>clock_gettime(CLOCK_REALTIME)</c> the runtime makes, and so every
/// <c>DateTime.UtcNow</c> / <c>TimeProvider.System</c> read, reads the offset in a file this class
/// rewrites (<c>FAKETIME_NO_CACHE=1</c>). The monotonic clock stays real, so timers and timeouts behave.
/// </summary>
internal sealed class FakeTimeServiceProcess : IAsyncDisposable
{
    // The synchronised build: the plain one parses the offset into static buffers without a lock, so under
    // FAKETIME_NO_CACHE one thread can read another's half-parsed offset and see the clock jump for an instant
    // (libfaketime issue 151, pull request 547), which a Snowflake generator rightly counts as a step.
    private const string LibFakeTime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
    private readonly Process _process;
    private readonly string _directory;
    private readonly string _offsetFile;

    private FakeTimeServiceProcess(Process process, string directory, string offsetFile, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        _offsetFile = offsetFile;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public static async Task<FakeTimeServiceProcess> StartAsync(params string[] settings)
    {
        if (!File.Exists(LibFakeTime))
            throw new InvalidOperationException($"{LibFakeTime} is missing: install Debian's libfaketime (apt-get install faketime).");
        var directory = Directory.CreateTempSubdirectory("coord-faketime-").FullName;
        var offsetFile = Path.Combine(directory, "offset");
        await File.WriteAllTextAsync(offsetFile, "+0\n");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Coord.Service.dll"), "--urls", $"http://127.0.0.1:{port}", .. settings])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Coord__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["LD_PRELOAD"] = LibFakeTime;
        start.Environment["FAKETIME_TIMESTAMP_FILE"] = offsetFile;
        start.Environment["FAKETIME_NO_CACHE"] = "1";
        start.Environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the service.");
        // Drain the pipes so a chatty child never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new FakeTimeServiceProcess(process, directory, offsetFile, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await service.WaitUntilUpAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sets the process's wall clock to real time plus <paramref name="offset"/> (whole seconds).</summary>
    public async Task SetClockOffsetAsync(TimeSpan offset)
    {
        var seconds = (long)offset.TotalSeconds;
        var temporary = _offsetFile + ".new";
        await File.WriteAllTextAsync(temporary, string.Create(CultureInfo.InvariantCulture, $"{(seconds < 0 ? "-" : "+")}{Math.Abs(seconds)}\n"));
        // A rename is atomic: the service never reads a half-written offset.
        File.Move(temporary, _offsetFile, overwrite: true);
    }

    private async Task WaitUntilUpAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode} before it answered.");
            try
            {
                using var response = await Client.GetAsync("/healthz", timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
