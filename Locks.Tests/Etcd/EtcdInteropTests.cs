using System.Diagnostics;
using System.Globalization;
using Coord.Locks.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>Coord and etcd's own mutex (<c>etcdctl lock</c>, etcd 3.4) contending for the same lock.</summary>
public sealed class EtcdInteropTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private const string Etcdctl = "/usr/bin/etcdctl";
    private readonly EtcdTestClients _clients = new(output);

    private EtcdLock Client() => _clients.Create([etcd.Server.ClientUrl]);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    /// <summary>Starts <c>etcdctl lock &lt;mutex&gt; &lt;command...&gt;</c>: it takes the lock, runs the command, then unlocks.</summary>
    private Process StartEtcdctlLock(string mutexName, params string[] command)
    {
        var start = new ProcessStartInfo(Etcdctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in (string[])[$"--endpoints={etcd.Server.ClientUrl}", "lock", mutexName, "--", .. command])
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("etcdctl did not start");
    }

    private static async Task<string> FinishAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(process.ExitCode == 0, $"etcdctl exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [Fact]
    public async Task A_lock_held_by_etcdctl_excludes_Coord_and_a_lock_held_by_Coord_blocks_etcdctl()
    {
        var name = $"interop-{Guid.NewGuid():N}";
        var mutex = new EtcdLockKeys(EtcdServerFixture.Prefix, name).MutexName;
        var coord = Client();

        // Coord first: etcdctl queues behind it and runs its command only after the release.
        var held = await coord.AcquireAsync(name);
        using (var blocked = StartEtcdctlLock(mutex, "echo", "etcdctl-got-it"))
        {
            await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);
            await Task.Delay(500);
            Assert.False(blocked.HasExited, "etcdctl took a lock that Coord held");
            await held.ReleaseAsync();
            Assert.Contains("etcdctl-got-it", await FinishAsync(blocked, TimeSpan.FromSeconds(20)), StringComparison.Ordinal);
        }

        // etcdctl first: Coord cannot take it until etcdctl unlocks.
        using var holder = StartEtcdctlLock(mutex, "sleep", "2");
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 1);
        var etcdctlKey = (await etcd.QueueAsync(name))[0];
        Assert.Null(await coord.TryAcquireAsync(name));
        await using var next = await coord.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        Assert.True(holder.HasExited || !(await etcd.QueueAsync(name)).Any(k => k.Key == etcdctlKey.Key));
        Assert.True(next.FencingToken > etcdctlKey.CreateRevision);
        await FinishAsync(holder, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Coord_and_etcdctl_contending_for_one_lock_never_hold_it_at_once()
    {
        var name = $"interop-{Guid.NewGuid():N}";
        var mutex = new EtcdLockKeys(EtcdServerFixture.Prefix, name).MutexName;
        var marks = Path.Combine(Path.GetTempPath(), $"coord-etcdctl-{Guid.NewGuid():N}.txt");
        var coordHolds = new List<(long Start, long End)>();
        using var stop = new CancellationTokenSource();
        const int etcdctlRuns = 5;

        async Task EtcdctlLoop()
        {
            for (var i = 0; i < etcdctlRuns; i++)
            {
                using var run = StartEtcdctlLock(mutex, "sh", "-c", $"echo S $(date +%s%N) >> {marks}; sleep 0.15; echo E $(date +%s%N) >> {marks}");
                await FinishAsync(run, TimeSpan.FromSeconds(30));
            }
        }

        async Task CoordLoop(EtcdLock client)
        {
            while (!stop.IsCancellationRequested)
            {
                await using var held = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(5));
                var start = UnixNanoseconds();
                await Task.Delay(100);
                var end = UnixNanoseconds();
                lock (coordHolds)
                    coordHolds.Add((start, end));
            }
        }

        var coordLoops = new[] { Client(), Client() }.Select(c => Task.Run(() => CoordLoop(c))).ToArray();
        try
        {
            await EtcdctlLoop().WaitAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(coordLoops).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var lines = await File.ReadAllLinesAsync(marks);
        File.Delete(marks);
        var etcdctlHolds = lines.Chunk(2).Select(pair =>
        {
            Assert.StartsWith("S ", pair[0], StringComparison.Ordinal);
            Assert.StartsWith("E ", pair[1], StringComparison.Ordinal);
            return (Start: long.Parse(pair[0][2..], CultureInfo.InvariantCulture), End: long.Parse(pair[1][2..], CultureInfo.InvariantCulture));
        }).ToArray();
        output.WriteLine($"{etcdctlHolds.Length} etcdctl holds, {coordHolds.Count} Coord holds");

        Assert.Equal(etcdctlRuns, etcdctlHolds.Length);
        Assert.True(coordHolds.Count >= etcdctlRuns, $"Coord held only {coordHolds.Count} times: not much contention");
        var all = etcdctlHolds.Select(h => (h.Start, h.End, Who: "etcdctl")).Concat(coordHolds.Select(h => (h.Start, h.End, Who: "coord"))).OrderBy(h => h.Start).ToArray();
        for (var i = 1; i < all.Length; i++)
            Assert.True(all[i].Start >= all[i - 1].End, $"{all[i].Who} took the lock at {all[i].Start} while {all[i - 1].Who} held it until {all[i - 1].End}");
        // The two kinds of holder really took turns rather than one running entirely before the other.
        Assert.True(all.Zip(all.Skip(1)).Count(p => p.First.Who != p.Second.Who) >= 2);
    }

    private static long UnixNanoseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
