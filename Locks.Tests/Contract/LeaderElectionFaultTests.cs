using System.Diagnostics;
using Coord.Locks.Tests.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Contract;

/// <summary>
/// Faults of a leader in another process (tools/Coord.LockHolder in its <c>&lt;backend&gt;-leader</c> mode), for the
/// backends whose leadership is a lease on one server: SIGKILL leaves a leadership nobody resigns, SIGSTOP one nobody
/// renews. A backend supplies the mode, its connection, clients, and a downstream register fenced by term.
/// </summary>
public abstract class LeaderElectionFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<LeaderElectionProvider> _clients = [];

    /// <summary>The holder's mode, e.g. <c>redis-leader</c>.</summary>
    protected abstract string Mode { get; }

    /// <summary>The connection the holder process is given, in its backend's form.</summary>
    protected abstract string Connection { get; }

    /// <summary>A new election client of this test process.</summary>
    protected abstract LeaderElectionProvider CreateClientCore();

    /// <summary>Writes to the term-fenced register as the holder process's register does; false when a higher term wrote before.</summary>
    protected abstract Task<bool> WriteAsync(string register, long term, string payload);

    /// <summary>The highest term that wrote to the register, and its payload.</summary>
    protected abstract Task<(long? Term, string? Payload)> ReadAsync(string register);

    private LeaderElectionProvider Client()
    {
        var client = CreateClientCore();
        _clients.Add(client);
        return client;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    [Fact]
    public async Task A_killed_leader_process_is_succeeded_within_its_TTL_plus_1s_by_a_candidate_with_a_higher_term_and_observers_see_it()
    {
        var election = $"crash/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var leader = await LeaderProcess.StartAsync(Connection, election, ttl, "process", TimeSpan.FromSeconds(60), Mode);
        var candidate = Client();
        var watcher = Client();
        using var stop = new CancellationTokenSource();
        await using var observed = watcher.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await observed.MoveNextAsync());
        Assert.Equal(new ElectionLeader(election, "process", leader.Term), observed.Current);

        var campaign = candidate.CampaignAsync(election, "successor", wait: TimeSpan.FromSeconds(60));
        // Outlive a renewal first, so the lease being waited out is one the dead process renewed.
        await Task.Delay(ttl);
        Assert.False(campaign.IsCompleted, "a candidate was elected while the leader process lived");
        leader.Kill();
        var sinceKill = Stopwatch.StartNew();
        await using var successor = await campaign.WaitAsync(TimeSpan.FromSeconds(30));
        var took = sinceKill.Elapsed;
        output.WriteLine($"{Mode}: elected {took.TotalMilliseconds:0} ms after the leader was killed (TTL {ttl.TotalSeconds} s); terms {leader.Term} -> {successor.Term}");

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"elected {took.TotalMilliseconds:0} ms after the kill; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(successor.Term > leader.Term);
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(new ElectionLeader(election, "successor", successor.Term), observed.Current);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_leader_paused_past_its_TTL_is_succeeded_and_its_late_write_is_refused_by_term()
    {
        var election = $"pause/{Guid.NewGuid():N}";
        var register = $"coord-test/register/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(2);
        await using var leader = await LeaderProcess.StartAsync(Connection, election, ttl, "stalling", TimeSpan.FromSeconds(60), Mode);
        Assert.True(await leader.WriteAsync(register, "from-the-first-leader", TimeSpan.FromSeconds(10)));

        var candidate = Client();
        var campaign = candidate.CampaignAsync(election, "successor", wait: TimeSpan.FromSeconds(60));
        leader.Pause();
        var sincePause = Stopwatch.StartNew();
        ILeadership successor;
        try
        {
            successor = await campaign.WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"{Mode}: elected {sincePause.ElapsedMilliseconds} ms after the leader stalled (TTL {ttl.TotalSeconds} s); terms {leader.Term} -> {successor.Term}");
            Assert.True(sincePause.Elapsed <= ttl + TimeSpan.FromSeconds(1), $"elected {sincePause.ElapsedMilliseconds} ms after the leader stalled; TTL is {ttl.TotalMilliseconds:0} ms");
            Assert.True(successor.Term > leader.Term);
            Assert.True(await WriteAsync(register, successor.Term, "from-the-successor"));
        }
        finally
        {
            leader.Resume();
        }

        // The stalled leader wakes up, learns it lost, and the write it had decided on before stalling is refused.
        Assert.Equal("LOST", await leader.NextLineAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await leader.WriteAsync(register, "late-from-the-first-leader", TimeSpan.FromSeconds(10)), "the deposed leader's late write was accepted");
        Assert.Equal((successor.Term, "from-the-successor"), await ReadAsync(register));
        Assert.Equal(new ElectionLeader(election, "successor", successor.Term), await candidate.GetLeaderAsync(election));
        await successor.DisposeAsync();
    }
}
