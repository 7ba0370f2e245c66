using System.Diagnostics;
using System.Globalization;

namespace Coord.Locks.Tests;

/// <summary>
/// A separate process (tools/Coord.LockHolder) that takes one lock and holds it until killed, for
/// crash tests: killing it with SIGKILL leaves a hold that nobody releases or renews.
/// </summary>
public sealed class LockHolderProcess : IAsyncDisposable
{
    private readonly Process _process;

    private LockHolderProcess(Process process, IReadOnlyList<long> fences)
    {
        _process = process;
        FencingTokens = fences;
    }

    /// <summary>The fencing token of the (first) lock the holder took.</summary>
    public long FencingToken => FencingTokens[0];

    /// <summary>The fencing tokens the holder printed, one per lock, in the order of the names.</summary>
    public IReadOnlyList<long> FencingTokens { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the holder (<c>dotnet Coord.LockHolder.dll backend connection name ttlSeconds [count]</c>) and waits until it
    /// prints "HELD &lt;fence&gt; …". With a <paramref name="count"/>, it holds <c>name/1</c> … <c>name/count</c> on one provider.
    /// </summary>
    public static async Task<LockHolderProcess> StartAsync(string backend, string connection, string name, TimeSpan ttl, TimeSpan timeout, int? count = null)
    {
        var process = StartWaiting(backend, connection, name, ttl, count);
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith("HELD ", StringComparison.Ordinal))
                    return new LockHolderProcess(process, line[5..].Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray());
            }
            await process.WaitForExitAsync(cts.Token);
            throw new InvalidOperationException($"The lock holder exited ({process.ExitCode}) without holding: {await errors}");
        }
        catch
        {
            if (!process.HasExited)
                process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the holder without waiting for it to hold: a process that queues behind a live holder, to be
    /// killed while it waits. Its output is redirected; it prints "HELD …" once it holds.
    /// </summary>
    public static Process StartWaiting(string backend, string connection, string name, TimeSpan ttl, int? count = null)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Coord.LockHolder.dll"), backend, connection, name, ttl.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        if (count is { } holds)
            start.ArgumentList.Add(holds.ToString(CultureInfo.InvariantCulture));
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the lock holder process.");
    }

    /// <summary>
    /// The crash test every lock backend with a holder process shares: a holder process renews past one
    /// TTL, is killed with SIGKILL, and <paramref name="client"/> must get the lock within TTL + 1 s with a higher fence. Returns how long after the kill it got the lock.
    /// </summary>
    public static async Task<TimeSpan> AssertKilledHolderFreesTheLockWithinTtlAsync(LockProvider client, string backend, string connection)
    {
        var name = $"crash/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var holder = await StartAsync(backend, connection, name, ttl, TimeSpan.FromSeconds(60));
        Assert.Null(await client.TryAcquireAsync(name));

        // Outlive a renewal first, so the lease being waited out is one the dead process renewed.
        await Task.Delay(ttl);
        Assert.Null(await client.TryAcquireAsync(name));
        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        await using var next = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        var took = sinceKill.Elapsed;

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"acquired {took.TotalMilliseconds:0} ms after the holder was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(next.FencingToken > holder.FencingToken);
        return took;
    }

    /// <summary>
    /// The crash test of every semaphore backend with a holder process: a process holding both permits of a
    /// semaphore of 2 renews past one TTL, is killed with SIGKILL, and <paramref name="client"/> must hold both
    /// permits within TTL + 1 s, with fences above the dead holder's. Returns how long after the kill it held them.
    /// </summary>
    public static async Task<TimeSpan> AssertKilledPermitHolderFreesThePermitsWithinTtlAsync(SemaphoreProvider client, string backend, string connection)
    {
        const int maxCount = 2;
        var name = $"crash/sem/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var holder = await StartAsync(backend, connection, name, ttl, TimeSpan.FromSeconds(60), count: maxCount);
        Assert.Equal(maxCount, holder.FencingTokens.Count);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));

        // Outlive a renewal first, so the leases waited out are ones the dead process renewed.
        await Task.Delay(ttl);
        Assert.Null(await client.TryAcquireAsync(name, maxCount));
        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        var first = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        var second = client.AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(30));
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"both permits came free {took.TotalMilliseconds:0} ms after the holder was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > holder.FencingTokens.Max());
        return took;
    }

    /// <summary>
    /// Waits for the holder to report lost holds and returns when each one's <c>Lost</c> fired, as
    /// <see cref="Stopwatch"/> timestamps (the machine's monotonic clock, which this process reads too); 0 for a hold not lost.
    /// </summary>
    public async Task<long[]> LostTimestampsAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (await _process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            if (!line.StartsWith("LOSTAT ", StringComparison.Ordinal))
                continue;
            var fields = line[7..].Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Stopwatch.Frequency, fields[^1]);
            return fields[..^1];
        }
        throw new InvalidOperationException("The lock holder ended its output without reporting lost holds.");
    }

    /// <summary>SIGSTOP: the holder stalls (a long GC pause, a starved machine) with its connections open; returns once every thread has stopped.</summary>
    public async Task PauseAsync()
    {
        Signal("STOP");
        for (var tries = 0; tries < 100; tries++)
        {
            if (Directory.GetDirectories($"/proc/{_process.Id}/task").All(IsStopped))
                return;
            await Task.Delay(10);
        }
        throw new InvalidOperationException($"The lock holder {_process.Id} did not stop after SIGSTOP.");

        // The state field follows the command name, which is in parentheses; 'T' is stopped.
        static bool IsStopped(string task)
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
            }
            catch (IOException)
            {
                return true; // the thread has exited
            }
        }
    }

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id.ToString(CultureInfo.InvariantCulture)}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the holder vanishes without releasing, as in a crash.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume(); // a paused holder would not die until continued
            Kill();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
