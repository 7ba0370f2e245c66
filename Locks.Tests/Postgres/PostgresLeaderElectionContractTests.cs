using Coord.Locks.Postgres;
using Coord.Locks.Tests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests.Postgres;

[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLeaderElectionContractTests(PostgresServerFixture postgres) : LeaderElectionContractTests, IClassFixture<PostgresServerFixture>
{
    // Candidates refresh their place (and look again) every third of the place lease: at its longest, so that only a
    // hand-off can elect a waiting candidate within a test (the lock's own re-check would hide a missing one).
    protected override Task<LeaderElectionProvider> CreateClientCoreAsync()
        => Task.FromResult<LeaderElectionProvider>(new PostgresLeaderElection(new PostgresLockOptions
        {
            ConnectionString = postgres.Server.ConnectionString,
            WaiterLease = TimeSpan.FromMinutes(10),
        }));

    protected override Task<LockProvider> CreateLockClientAsync()
        => Task.FromResult<LockProvider>(new PostgresLock(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString }));

    protected override async Task TakeAwayAsync(string election)
        => Assert.Equal(1, await postgres.ExecuteAsync("DELETE FROM public.coord_locks_elect_holders WHERE name = $1", election));

    protected override async Task<int> CandidatesAsync(string election)
        => (int)await postgres.ScalarAsync<long>(
            "SELECT (SELECT count(*) FROM public.coord_locks_elect_holders WHERE name = $1) + (SELECT count(*) FROM public.coord_locks_elect_waiters WHERE name = $1)", election);

    [Fact]
    public async Task The_leader_is_the_one_exclusive_holder_its_term_the_fence_and_its_value_beside_it_by_token()
    {
        var election = NewElection("layout");
        var a = await CreateClientAsync();
        await using var leadership = await a.CampaignAsync(election, "10.0.0.1:80");
        Assert.Equal(leadership.Term, await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks_elect_holders WHERE name = $1 AND NOT shared", election));
        Assert.Equal("10.0.0.1:80", await postgres.ScalarAsync<string>(
            "SELECT v.value FROM public.coord_locks_elect_values v JOIN public.coord_locks_elect_holders h USING (name, holder) WHERE name = $1", election));
        await leadership.ResignAsync();
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_elect_values WHERE name = $1", election));
        Assert.Equal(leadership.Term, await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks_elect WHERE name = $1", election));
    }

    [Fact]
    public async Task AddPostgresLeaderElection_registers_a_working_election_and_refuses_bad_options_at_registration()
    {
        var services = new ServiceCollection().AddPostgresLeaderElection(o => o.ConnectionString = postgres.Server.ConnectionString);
        await using (var provider = services.BuildServiceProvider())
        {
            var elections = provider.GetRequiredService<ILeaderElection>();
            Assert.IsType<PostgresLeaderElection>(elections);
            Assert.Equal("postgres", elections.Backend);
            var election = NewElection("di");
            await using var leadership = await elections.CampaignAsync(election, "a");
            Assert.Null(await elections.TryCampaignAsync(election, "b"));
        }

        var keyed = new ServiceCollection().AddPostgresLeaderElection(o => o.ConnectionString = postgres.Server.ConnectionString, name: "sql");
        await using (var provider = keyed.BuildServiceProvider())
        {
            Assert.IsType<PostgresLeaderElection>(provider.GetRequiredKeyedService<ILeaderElection>("sql"));
            Assert.Null(provider.GetService<ILeaderElection>());
        }

        var empty = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => empty.AddPostgresLeaderElection(o => o.TableName = "Bad-Name"));
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.Empty(empty);
    }
}
