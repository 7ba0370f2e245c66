using Coord.Locks.Etcd;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdLeaderElectionContractTests(EtcdServerFixture etcd) : LeaderElectionContractTests, IClassFixture<EtcdServerFixture>
{
    protected override Task<LeaderElectionProvider> CreateClientCoreAsync()
        => Task.FromResult<LeaderElectionProvider>(new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = [etcd.Server.ClientUrl] }));

    protected override Task<LockProvider> CreateLockClientAsync() => Task.FromResult<LockProvider>(etcd.NewClient());

    protected override Task TakeAwayAsync(string election) => EtcdServerFixture.RevokeHolderAsync(etcd.Raw, election, EtcdLeaderElectionOptions.DefaultPrefix);

    protected override async Task<int> CandidatesAsync(string election) => (await etcd.QueueAsync(election, EtcdLeaderElectionOptions.DefaultPrefix)).Count;
}
