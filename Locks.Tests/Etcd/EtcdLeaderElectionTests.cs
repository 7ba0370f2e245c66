using System.Diagnostics;
using System.Globalization;
using Coord.LockHolder;
using Coord.Locks.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>etcd elections: the key layout, and leaders that die or stall in another process.</summary>
public sealed class EtcdLeaderElectionTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private const string Prefix = EtcdLeaderElectionOptions.DefaultPrefix;
    private readonly EtcdElectionClients _clients = new(etcd);

    private EtcdLeaderElection Client() => _clients.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    [Fact]
    public async Task Candidates_put_their_value_under_the_election_name_on_their_session_lease_and_the_term_is_the_leaders_create_revision()
    {
        var election = $"layout/{Guid.NewGuid():N}";
        var a = Client();
        var b = Client();
        await using var leader = await a.CampaignAsync(election, "10.0.0.1:80");
        var waiting = b.CampaignAsync(election, "10.0.0.2:80", wait: TimeSpan.FromSeconds(30));
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(election, Prefix)).Count == 2);

        var keys = await etcd.QueueAsync(election, Prefix);
        var mutex = a.KeysOf(election).MutexName;
        Assert.Equal($"coord/election/layout%2F{election[7..]}", mutex);
        foreach (var kv in keys)
            Assert.Equal($"{mutex}/{kv.Lease.ToString("x", CultureInfo.InvariantCulture)}", kv.Key.ToStringUtf8());
        Assert.Equal(["10.0.0.1:80", "10.0.0.2:80"], keys.Select(k => k.Value.ToStringUtf8()));
        Assert.Equal(keys[0].CreateRevision, leader.Term);

        // Proclaim rewrites the leader's key in place: same key, same create revision, new value.
        await leader.ProclaimAsync("10.0.0.9:80");
        var after = await etcd.QueueAsync(election, Prefix);
        Assert.Equal(keys[0].Key, after[0].Key);
        Assert.Equal(keys[0].CreateRevision, after[0].CreateRevision);
        Assert.Equal("10.0.0.9:80", after[0].Value.ToStringUtf8());

        await leader.ResignAsync();
        await using var next = await waiting;
        Assert.Equal(keys[1].CreateRevision, next.Term);
        Assert.Single(await etcd.QueueAsync(election, Prefix));
    }

    [Fact]
    public async Task A_killed_leader_process_is_succeeded_within_its_session_TTL_plus_1s_by_a_candidate_with_a_higher_term()
    {
        var election = $"crash/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var leader = await LeaderProcess.StartAsync(etcd.Server.ClientUrl, election, ttl, "process", TimeSpan.FromSeconds(60));
        await LeaderProcessFaults.KilledLeaderIsSucceededAsync(leader, election, Client(), Client(), ttl, output);
    }

    [Fact]
    public async Task A_leader_paused_past_its_TTL_is_succeeded_and_its_late_write_is_refused_by_term()
    {
        var election = $"pause/{Guid.NewGuid():N}";
        var register = $"coord-test/register/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(2);
        await using var leader = await LeaderProcess.StartAsync(etcd.Server.ClientUrl, election, ttl, "stalling", TimeSpan.FromSeconds(60));
        await LeaderProcessFaults.PausedLeaderIsRefusedByTermAsync(leader, election, register, Client(), ttl,
            (term, payload) => EtcdFencedRegister.WriteAsync(etcd.Raw, register, term, payload),
            () => EtcdFencedRegister.ReadAsync(etcd.Raw, register), output);
    }

    [Fact]
    public async Task A_leader_whose_lease_is_revoked_hears_Lost_before_a_waiting_candidate_of_the_same_provider_is_elected()
    {
        var election = $"revoked/{Guid.NewGuid():N}";
        var client = Client();
        var leader = await client.CampaignAsync(election, "first", ttl: TimeSpan.FromSeconds(30));
        var lostAt = 0L;
        leader.Lost.Register(() => Volatile.Write(ref lostAt, Stopwatch.GetTimestamp()));
        // Same provider, so the deposition comes through this process's own session and watches.
        var campaign = client.CampaignAsync(election, "second", wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
        await EtcdLockTests.WaitUntilAsync(async () => (await etcd.QueueAsync(election, Prefix)).Count == 2);

        await EtcdServerFixture.RevokeHolderAsync(etcd.Raw, election, Prefix);
        await using var second = await campaign.WaitAsync(TimeSpan.FromSeconds(30));
        var electedAt = Stopwatch.GetTimestamp();
        Assert.True(leader.IsLost);
        Assert.True(Volatile.Read(ref lostAt) != 0 && Volatile.Read(ref lostAt) <= electedAt, "Lost fired only after the next candidate was elected");
        Assert.True(second.Term > leader.Term);
        await leader.DisposeAsync();
    }
}
