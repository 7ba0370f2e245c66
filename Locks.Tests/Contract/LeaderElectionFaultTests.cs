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
        await LeaderProcessFaults.KilledLeaderIsSucceededAsync(leader, election, Client(), Client(), ttl, output);
    }

    [Fact]
    public async Task A_leader_paused_past_its_TTL_is_succeeded_and_its_late_write_is_refused_by_term()
    {
        var election = $"pause/{Guid.NewGuid():N}";
        var register = $"coord-test/register/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(2);
        await using var leader = await LeaderProcess.StartAsync(Connection, election, ttl, "stalling", TimeSpan.FromSeconds(60), Mode);
        await LeaderProcessFaults.PausedLeaderIsRefusedByTermAsync(leader, election, register, Client(), ttl,
            (term, payload) => WriteAsync(register, term, payload), () => ReadAsync(register), output);
    }
}
