using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests;

public sealed class LeaderElectionServiceCollectionTests
{
    [Fact]
    public async Task A_registered_election_provider_is_one_singleton_that_elects_one_leader()
    {
        var services = new ServiceCollection().AddInMemoryLeaderElection(o => o.Store = new InMemoryLockStore(TimeProvider.System));
        await using var provider = services.BuildServiceProvider();
        var elections = provider.GetRequiredService<ILeaderElection>();
        Assert.Same(elections, provider.GetRequiredService<ILeaderElection>());
        Assert.Equal("inmemory", elections.Backend);
        await using var leadership = await elections.CampaignAsync("di/leader", "me");
        Assert.Null(await elections.TryCampaignAsync("di/leader", "you"));
        Assert.Null(provider.GetService<ILock>()); // an election registration is not a lock
    }

    [Fact]
    public async Task Named_election_registrations_sit_beside_each_other_and_an_etcd_one_gets_the_election_prefix()
    {
        var services = new ServiceCollection()
            .AddInMemoryLeaderElection(name: "local")
            .AddEtcdLeaderElection(o => o.Endpoints = ["http://127.0.0.1:1"], name: "etcd");
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<ILeaderElection>("local").Backend);
        var etcd = Assert.IsType<EtcdLeaderElection>(provider.GetRequiredKeyedService<ILeaderElection>("etcd"));
        Assert.Equal("coord/election/x", etcd.KeysOf("x").MutexName);
        Assert.Null(provider.GetService<ILeaderElection>());
    }

    [Fact]
    public void Bad_options_fail_at_registration_saying_what_is_allowed()
    {
        var services = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => services.AddEtcdLeaderElection(o => o.Endpoints = []));
        Assert.Contains("Endpoints", ex.Message, StringComparison.Ordinal);
        var ttl = Assert.ThrowsAny<ArgumentException>(() => services.AddInMemoryLeaderElection(o => o.DefaultTtl = TimeSpan.FromDays(3)));
        Assert.Contains("at most 1 day", ttl.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }
}
