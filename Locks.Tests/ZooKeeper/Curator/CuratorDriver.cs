using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// A Java driver of an Apache Curator recipe (Debian's libcurator-recipes-java), a single source file beside the tests
/// run by the JDK's source launcher, spoken to one line per step: each step is "&lt;verb&gt; &lt;id&gt; ...", and its
/// reply starts with the same id in second place ("E id message" on failure). It prints READY once connected.
/// </summary>
internal sealed class CuratorDriver : IAsyncDisposable
{
    private const string Jars = "/usr/share/java";
    private static readonly string[] ClassPath =
        ["curator-client.jar", "curator-framework.jar", "curator-recipes.jar", "zookeeper.jar", "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar", "slf4j-nop.jar"];

    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _replies = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _reading;
    private long _nextId;

    private CuratorDriver(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadRepliesAsync);
    }

    /// <summary>The driver's process id, for signals.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts <paramref name="driverFile"/> (in ZooKeeper/Curator of the test output) with <paramref name="arguments"/> and waits until it is connected.</summary>
    public static async Task<CuratorDriver> StartAsync(string driverFile, params string[] arguments)
    {
        var start = new ProcessStartInfo("java") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-Xmx128m", "-XX:+UseSerialGC", "-cp", string.Join(':', ClassPath.Select(j => Path.Combine(Jars, j))),
            Path.Combine(AppContext.BaseDirectory, "ZooKeeper", "Curator", driverFile),
        }.Concat(arguments))
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start java.");
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (ready != "READY")
        {
            process.Kill();
            throw new InvalidOperationException($"The Curator driver did not start: {ready} {await process.StandardError.ReadToEndAsync()}");
        }
        _ = process.StandardError.ReadToEndAsync();
        return new CuratorDriver(process);
    }

    /// <summary>A fresh id for a step.</summary>
    public string NextId() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends <paramref name="line"/> and waits for the reply that names <paramref name="id"/>.</summary>
    public async Task<string> CallAsync(string line, string id)
    {
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[id] = reply;
        await _writing.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
        }
        finally
        {
            _writing.Release();
        }
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(90));
    }

    private async Task ReadRepliesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts.Length >= 2 && _replies.TryRemove(parts[1], out var waiting))
                waiting.TrySetResult(line);
        }
        foreach (var (_, waiting) in _replies)
            waiting.TrySetException(new IOException("The Curator driver exited."));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            _process.Kill();
        }
        await _reading;
        _process.Dispose();
        _writing.Dispose();
    }
}
