using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdLockContractTests(EtcdServerFixture etcd) : LockContractTests, IClassFixture<EtcdServerFixture>
{
    protected override Task<LockProvider> CreateClientCoreAsync() => Task.FromResult<LockProvider>(etcd.NewClient());

    protected override Task TakeAwayAsync(string name) => EtcdServerFixture.RevokeHolderAsync(etcd.Raw, name);
}
