using Coord.Locks.Etcd;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdSemaphoreContractTests(EtcdServerFixture etcd) : SemaphoreContractTests, IClassFixture<EtcdServerFixture>
{
    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
        => Task.FromResult<SemaphoreProvider>(new EtcdSemaphore(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl], Prefix = EtcdServerFixture.Prefix }));

    protected override Task TakeAwayAsync(string name, string holderToken) => EtcdSemaphoreLine.DeletePermitAsync(etcd.Raw, name, holderToken);

    protected override Task<int> WaitingAsync(string name) => EtcdSemaphoreLine.WaitingAsync(etcd.Raw, name);
}
