using Coord.Locks.Redis;
using Coord.Locks.Tests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisLeaderElectionContractTests(RedisServerFixture redis) : LeaderElectionContractTests, IClassFixture<RedisServerFixture>
{
    private const string Prefix = "coord:";

    private static RedisElectionKeys KeysOf(string election) => new(new RedisSemaphoreKeys(Prefix, election, RedisElectionKeys.Kind), Prefix);

    // Candidates refresh their place (and look again) every third of the place lease: at its longest, so that only a
    // hand-off can elect a waiting candidate within a test (the lock's own re-check would hide a missing one).
    protected override Task<LeaderElectionProvider> CreateClientCoreAsync()
        => Task.FromResult<LeaderElectionProvider>(new RedisLeaderElection(new RedisLockOptions
        {
            Configuration = redis.Server.ConnectionString,
            KeyPrefix = Prefix,
            WaiterLease = TimeSpan.FromMinutes(10),
        }));

    protected override Task<LockProvider> CreateLockClientAsync()
        => Task.FromResult<LockProvider>(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, KeyPrefix = Prefix }));

    protected override async Task TakeAwayAsync(string election)
    {
        var db = redis.Raw.GetDatabase();
        var holders = KeysOf(election).Holds.Holders;
        var leader = Assert.Single(await db.SortedSetRangeByRankAsync(holders));
        Assert.True(await db.SortedSetRemoveAsync(holders, leader));
    }

    protected override async Task<int> CandidatesAsync(string election)
    {
        var db = redis.Raw.GetDatabase();
        var keys = KeysOf(election).Holds;
        return (int)(await db.SortedSetLengthAsync(keys.Holders) + await db.SortedSetLengthAsync(keys.Queue));
    }

    [Fact]
    public async Task The_leader_is_the_one_holder_of_the_elect_keys_its_term_the_grant_and_its_value_beside_it_by_token()
    {
        var election = NewElection("layout");
        var a = await CreateClientAsync();
        var db = redis.Raw.GetDatabase();
        var keys = KeysOf(election);
        Assert.Equal($"{Prefix}elect:{election}", keys.Holds.Holders);
        await using var leadership = await a.CampaignAsync(election, "10.0.0.1:80");
        var token = (string)Assert.Single(await db.SortedSetRangeByRankAsync(keys.Holds.Holders))!;
        Assert.Equal(leadership.Term, (long)await db.HashGetAsync(keys.Holds.Grants, token));
        Assert.Equal("10.0.0.1:80", (string?)await db.HashGetAsync(keys.Values, token));
        Assert.Equal(token, (string?)await db.HashGetAsync(keys.Holds.Counter, "excl"));
        await leadership.ResignAsync();
        Assert.False(await db.HashExistsAsync(keys.Values, token));
        Assert.False(await db.KeyExistsAsync(keys.Holds.Holders));
        Assert.True(await db.KeyExistsAsync(keys.Holds.Counter));
    }

    [Fact]
    public async Task AddRedisLeaderElection_registers_a_working_election_and_refuses_bad_options_at_registration()
    {
        var services = new ServiceCollection().AddRedisLeaderElection(o => o.Configuration = redis.Server.ConnectionString);
        await using (var provider = services.BuildServiceProvider())
        {
            var elections = provider.GetRequiredService<ILeaderElection>();
            Assert.IsType<RedisLeaderElection>(elections);
            Assert.Equal("redis", elections.Backend);
            var election = NewElection("di");
            await using var leadership = await elections.CampaignAsync(election, "a");
            Assert.Null(await elections.TryCampaignAsync(election, "b"));
        }

        var keyed = new ServiceCollection().AddRedisLeaderElection(o => o.Configuration = redis.Server.ConnectionString, name: "cache");
        await using (var provider = keyed.BuildServiceProvider())
        {
            Assert.IsType<RedisLeaderElection>(provider.GetRequiredKeyedService<ILeaderElection>("cache"));
            Assert.Null(provider.GetService<ILeaderElection>());
        }

        var empty = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => empty.AddRedisLeaderElection(o => o.KeyPrefix = "x:"));
        Assert.Contains("Configuration", ex.Message, StringComparison.Ordinal);
        Assert.Empty(empty);
    }
}
