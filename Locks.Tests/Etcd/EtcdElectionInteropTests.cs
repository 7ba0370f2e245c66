using System.Diagnostics;
using System.Threading.Channels;
using Coord.Locks.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>Coord and etcd's own election (<c>etcdctl elect</c>, etcd 3.4's <c>concurrency.Election</c>) taking turns on one election.</summary>
public sealed class EtcdElectionInteropTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private const string Etcdctl = "/usr/bin/etcdctl";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly EtcdElectionClients _clients = new(etcd);

    private EtcdLeaderElection Client() => _clients.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    [Fact]
    public async Task While_etcdctl_leads_Coord_reports_its_value_and_waits_and_wins_once_etcdctl_is_interrupted()
    {
        var election = $"interop-{Guid.NewGuid():N}";
        var coord = Client();
        var watcher = Client();
        var etcdName = coord.KeysOf(election).MutexName;

        await using var etcdctl = Etcdctl_("elect", etcdName, "etcdctl-value");
        // etcdctl prints its key and value once elected.
        var key = await etcdctl.NextLineAsync(Bound);
        Assert.StartsWith(etcdName + "/", key, StringComparison.Ordinal);
        Assert.Equal("etcdctl-value", await etcdctl.NextLineAsync(Bound));
        var etcdctlKey = (await etcd.QueueAsync(election, EtcdLeaderElectionOptions.DefaultPrefix)).Single();

        var leader = await coord.GetLeaderAsync(election);
        Assert.Equal(new ElectionLeader(election, "etcdctl-value", etcdctlKey.CreateRevision), leader);
        using var stop = new CancellationTokenSource();
        await using var observed = watcher.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(leader, observed.Current);

        Assert.Null(await coord.TryCampaignAsync(election, "coord-value"));
        var campaign = coord.CampaignAsync(election, "coord-value", wait: Bound);
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(election, EtcdLeaderElectionOptions.DefaultPrefix)).Count == 2);
        await Task.Delay(300);
        Assert.False(campaign.IsCompleted, "Coord was elected while etcdctl led");

        // Interrupted, etcdctl resigns (deletes its key) and exits.
        etcdctl.Interrupt();
        await using var won = await campaign.WaitAsync(Bound);
        Assert.True(won.Term > etcdctlKey.CreateRevision);
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(new ElectionLeader(election, "coord-value", won.Term), observed.Current);
        Assert.Equal(0, await etcdctl.ExitCodeAsync(Bound));
        await stop.CancelAsync();
    }

    [Fact]
    public async Task While_Coord_leads_etcdctl_observes_its_value_and_waits_and_is_elected_once_Coord_resigns()
    {
        var election = $"interop-{Guid.NewGuid():N}";
        var coord = Client();
        var etcdName = coord.KeysOf(election).MutexName;
        var leadership = await coord.CampaignAsync(election, "coord-value");

        // etcdctl elect -l observes: it prints the leader's key and value, and each change.
        await using var listener = Etcdctl_("elect", "-l", etcdName);
        Assert.StartsWith(etcdName + "/", await listener.NextLineAsync(Bound), StringComparison.Ordinal);
        Assert.Equal("coord-value", await listener.NextLineAsync(Bound));
        await leadership.ProclaimAsync("coord-proclaimed");
        Assert.StartsWith(etcdName + "/", await listener.NextLineAsync(Bound), StringComparison.Ordinal);
        Assert.Equal("coord-proclaimed", await listener.NextLineAsync(Bound));

        // A campaigning etcdctl waits behind Coord: it prints nothing until elected.
        await using var candidate = Etcdctl_("elect", etcdName, "etcdctl-value");
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(election, EtcdLeaderElectionOptions.DefaultPrefix)).Count == 2);
        var early = candidate.NextLineAsync(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => early);

        await leadership.ResignAsync();
        var elected = await candidate.NextLineAsync(Bound);
        Assert.StartsWith(etcdName + "/", elected, StringComparison.Ordinal);
        Assert.Equal("etcdctl-value", await candidate.NextLineAsync(Bound));
        var now = await coord.GetLeaderAsync(election);
        Assert.Equal("etcdctl-value", now?.Value);
        Assert.True(now!.Term > leadership.Term);
        // The listener saw etcdctl take over too.
        Assert.Equal(elected, await listener.NextLineAsync(Bound));
        Assert.Equal("etcdctl-value", await listener.NextLineAsync(Bound));

        // And Coord campaigns again behind etcdctl, winning when it is interrupted.
        var again = coord.CampaignAsync(election, "coord-again", wait: Bound);
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(election, EtcdLeaderElectionOptions.DefaultPrefix)).Count == 2);
        candidate.Interrupt();
        await using var back = await again.WaitAsync(Bound);
        Assert.True(back.Term > now.Term);
        output.WriteLine($"terms: Coord {leadership.Term}, etcdctl {now.Term}, Coord {back.Term}");
    }

    private EtcdctlProcess Etcdctl_(params string[] args) => EtcdctlProcess.Start(etcd.Server.ClientUrl, args);

    /// <summary>One etcdctl process with its output read line by line.</summary>
    private sealed class EtcdctlProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        private EtcdctlProcess(Process process)
        {
            _process = process;
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                    _lines.Writer.TryWrite(line);
                _lines.Writer.TryComplete();
            });
        }

        public static EtcdctlProcess Start(string endpoint, string[] args)
        {
            var start = new ProcessStartInfo(Etcdctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["ETCDCTL_API"] = "3";
            start.ArgumentList.Add($"--endpoints={endpoint}");
            foreach (var arg in args)
                start.ArgumentList.Add(arg);
            var process = Process.Start(start) ?? throw new InvalidOperationException("etcdctl did not start");
            _ = process.StandardError.ReadToEndAsync();
            return new EtcdctlProcess(process);
        }

        public async Task<string> NextLineAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            return await _lines.Reader.ReadAsync(cts.Token);
        }

        /// <summary>SIGINT, as Ctrl-C: etcdctl elect resigns and exits.</summary>
        public void Interrupt()
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", $"-INT {_process.Id}") { UseShellExecute = false })!;
            kill.WaitForExit();
        }

        public async Task<int> ExitCodeAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
