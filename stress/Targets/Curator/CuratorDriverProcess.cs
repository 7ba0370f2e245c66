using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Coord.Stress.Targets.Curator;

/// <summary>
/// The Java side of the <c>curator</c> target: compiles <c>CuratorDriver.java</c> (embedded in this
/// assembly) with the JDK's <c>javac</c> into a cache folder keyed by the source's hash, starts it with
/// Debian's Curator and ZooKeeper jars, and exchanges one line per step with it (see the Java file).
/// </summary>
internal sealed class CuratorDriverProcess : IAsyncDisposable
{
    private const string MainClass = "CuratorDriver";
    private const string Jars = "/usr/share/java";
    private static readonly string[] ClassPathJars =
        ["curator-client.jar", "curator-framework.jar", "curator-recipes.jar", "zookeeper.jar", "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar", "slf4j-nop.jar"];

    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Task _reader;
    private readonly Task<string> _errors;
    private long _nextRequest;

    private CuratorDriverProcess(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(ReadRepliesAsync);
    }

    public static async Task<CuratorDriverProcess> StartAsync(string connectString, CancellationToken cancellationToken)
    {
        var classes = await CompileAsync(cancellationToken).ConfigureAwait(false);
        var start = new ProcessStartInfo("java")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-cp", ClassPath(classes), MainClass, connectString })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start java for the curator target.");
        var ready = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (ready != "READY")
        {
            process.Kill();
            throw new InvalidOperationException($"The Curator driver did not start: {ready} {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
        }
        return new CuratorDriverProcess(process);
    }

    private static string ClassPath(string classes) => string.Join(':', ClassPathJars.Select(j => Path.Combine(Jars, j)).Prepend(classes));

    /// <summary>javac once per source version; later runs reuse the cached classes.</summary>
    private static async Task<string> CompileAsync(CancellationToken cancellationToken)
    {
        foreach (var jar in ClassPathJars)
        {
            if (!File.Exists(Path.Combine(Jars, jar)))
                throw new InvalidOperationException($"The curator target needs {Path.Combine(Jars, jar)}: apt-get install libcurator-recipes-java zookeeper libslf4j-java.");
        }
        await using var resource = typeof(CuratorDriverProcess).Assembly.GetManifestResourceStream($"{MainClass}.java")
            ?? throw new InvalidOperationException($"{MainClass}.java is not embedded in the stress runner.");
        using var memory = new MemoryStream();
        await resource.CopyToAsync(memory, cancellationToken).ConfigureAwait(false);
        var source = memory.ToArray();
        var folder = Path.Combine(Path.GetTempPath(), "coord-curator-driver", Convert.ToHexStringLower(SHA256.HashData(source))[..16]);
        if (File.Exists(Path.Combine(folder, MainClass + ".class")))
            return folder;
        var building = folder + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(building);
        await File.WriteAllBytesAsync(Path.Combine(building, MainClass + ".java"), source, cancellationToken).ConfigureAwait(false);
        var javac = new ProcessStartInfo("javac") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-nowarn", "-cp", ClassPath(building), "-d", building, Path.Combine(building, MainClass + ".java") })
            javac.ArgumentList.Add(argument);
        using var compiler = Process.Start(javac) ?? throw new InvalidOperationException("Could not start javac (install a JDK: openjdk-17-jdk-headless).");
        var errors = compiler.StandardError.ReadToEndAsync(cancellationToken);
        await compiler.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (compiler.ExitCode != 0)
            throw new InvalidOperationException($"javac failed on the Curator driver: {await errors.ConfigureAwait(false)}");
        try
        {
            Directory.Move(building, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, MainClass + ".class")))
        {
            Directory.Delete(building, recursive: true); // another run compiled it at the same moment
        }
        return folder;
    }

    public long NextRequest() => Interlocked.Increment(ref _nextRequest);

    /// <summary>Sends <paramref name="line"/> and waits for the reply that starts with <paramref name="replyKey"/> (kind and id).</summary>
    public async Task<string> CallAsync(string line, string replyKey, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[replyKey] = reply;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadRepliesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts.Length < 2)
                continue;
            // Errors answer whichever step of that request id is waiting.
            var key = parts[0] == "E" ? FindWaitingFor(parts[1]) : $"{parts[0]} {parts[1]}";
            if (key is not null && _waiting.TryRemove(key, out var waiting))
                waiting.TrySetResult(line);
        }
        var failure = new IOException($"The Curator driver exited: {await _errors.ConfigureAwait(false)}");
        foreach (var (_, waiting) in _waiting)
            waiting.TrySetException(failure);
    }

    private string? FindWaitingFor(string id) => _waiting.Keys.FirstOrDefault(k => k.EndsWith(" " + id, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // the driver closes its clients and exits
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _process.Kill();
        }
        await _reader.ConfigureAwait(false);
        _process.Dispose();
        _writeGate.Dispose();
    }
}
