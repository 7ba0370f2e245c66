using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// A Java process taking and returning leases of Apache Curator's InterProcessSemaphoreV2, and read and write locks
/// of its InterProcessReadWriteLock (Debian's libcurator-recipes-java), driven one line per step (CuratorSemaphoreDriver.java beside the tests,
/// run by the JDK's single-file source launcher).
/// </summary>
internal sealed class CuratorSemaphoreProcess : IAsyncDisposable
{
    private const string Jars = "/usr/share/java";
    private static readonly string[] ClassPath =
        ["curator-client.jar", "curator-framework.jar", "curator-recipes.jar", "zookeeper.jar", "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar", "slf4j-nop.jar"];

    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _replies = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _reading;
    private long _nextId;

    private CuratorSemaphoreProcess(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadRepliesAsync);
    }

    /// <summary>Starts the driver on <paramref name="path"/> with <paramref name="maxLeases"/> and waits until its client is connected.</summary>
    public static async Task<CuratorSemaphoreProcess> StartAsync(string connectString, string path, int maxLeases, TimeSpan sessionTimeout)
    {
        var start = new ProcessStartInfo("java") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-Xmx128m", "-XX:+UseSerialGC", "-cp", string.Join(':', ClassPath.Select(j => Path.Combine(Jars, j))),
            Path.Combine(AppContext.BaseDirectory, "ZooKeeper", "Curator", "CuratorSemaphoreDriver.java"),
            connectString, path, maxLeases.ToString(CultureInfo.InvariantCulture), ((int)sessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start java.");
        var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (ready != "READY")
        {
            process.Kill();
            throw new InvalidOperationException($"The Curator driver did not start: {ready} {await process.StandardError.ReadToEndAsync()}");
        }
        _ = process.StandardError.ReadToEndAsync();
        return new CuratorSemaphoreProcess(process);
    }

    /// <summary>Takes one lease, waiting at most <paramref name="wait"/>; the lease's id, or null when the wait ran out.</summary>
    public Task<string?> AcquireAsync(TimeSpan wait) => TakeAsync("A", wait);

    /// <summary>Takes the read lock of Curator's InterProcessReadWriteLock on the driver's path, waiting at most <paramref name="wait"/>; the hold's id (return it with <see cref="ReleaseAsync"/>), or null when the wait ran out.</summary>
    public Task<string?> AcquireReadLockAsync(TimeSpan wait) => TakeAsync("RL", wait);

    /// <summary>Takes the write lock of Curator's InterProcessReadWriteLock on the driver's path, waiting at most <paramref name="wait"/>; the hold's id, or null when the wait ran out.</summary>
    public Task<string?> AcquireWriteLockAsync(TimeSpan wait) => TakeAsync("WL", wait);

    private async Task<string?> TakeAsync(string step, TimeSpan wait)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var reply = await CallAsync($"{step} {id} {(long)wait.TotalMilliseconds}", id);
        return reply == $"A {id} 1" ? id : reply == $"A {id} 0" ? null : throw new InvalidOperationException($"Curator could not acquire: {reply}");
    }

    /// <summary>Returns the lease or lock hold <paramref name="id"/> (Curator deletes its node).</summary>
    public async Task ReleaseAsync(string id)
    {
        var reply = await CallAsync($"R {id}", id);
        if (reply != $"R {id}")
            throw new InvalidOperationException($"Curator could not return lease {id}: {reply}");
    }

    private async Task<string> CallAsync(string line, string id)
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
