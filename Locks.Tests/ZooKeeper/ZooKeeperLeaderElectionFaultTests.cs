using Coord.LockHolder;
using Coord.Locks.Tests.Etcd;
using Coord.Locks.ZooKeeper;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>ZooKeeper elections whose leader process dies or stalls (tools/Coord.LockHolder in its zookeeper-leader mode).</summary>
public sealed class ZooKeeperLeaderElectionFaultTests(ZooKeeperServerFixture zookeeper, ITestOutputHelper output) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    // A step of the session pool (100 ms × 2^5) inside the test server's bounds: the leader's session timeout is exactly this.
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMilliseconds(3200);
    private readonly List<LeaderElectionProvider> _clients = [];

    /// <summary>Under the default root, where the leader process campaigns.</summary>
    private ZooKeeperLeaderElection Client()
    {
        var client = new ZooKeeperLeaderElection(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _clients.Add(client);
        return client;
    }

    private Task<LeaderProcess> StartLeaderAsync(string election, string value)
        => LeaderProcess.StartAsync(zookeeper.Server.ConnectString, election, SessionTimeout, value, TimeSpan.FromSeconds(60), ZooKeeperLeaderMode.Name);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    [Fact]
    public async Task A_killed_leader_process_is_succeeded_within_its_session_timeout_plus_1s_by_a_candidate_with_a_higher_term()
    {
        var election = $"crash/{Guid.NewGuid():N}";
        await using var leader = await StartLeaderAsync(election, "process");
        await LeaderProcessFaults.KilledLeaderIsSucceededAsync(leader, election, Client(), Client(), SessionTimeout, output);
    }

    [Fact]
    public async Task A_leader_paused_past_its_session_timeout_is_succeeded_and_its_late_write_is_refused_by_term()
    {
        var election = $"pause/{Guid.NewGuid():N}";
        var register = $"/coord-test-register-{Guid.NewGuid():N}";
        await using var leader = await StartLeaderAsync(election, "stalling");
        await LeaderProcessFaults.PausedLeaderIsRefusedByTermAsync(leader, election, register, Client(), SessionTimeout,
            (term, payload) => ZooKeeperFencedRegister.WriteAsync(zookeeper.Raw, register, term, payload),
            () => ZooKeeperFencedRegister.ReadAsync(zookeeper.Raw, register), output);
    }
}
