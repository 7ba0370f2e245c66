using Coord.Testing;

namespace Coord.Service.Tests.Ids;

/// <summary>Real etcd and ZooKeeper servers for <see cref="WorkerIdLeaseConfigurationTests"/>.</summary>
public sealed class WorkerIdLeaseServers : IAsyncLifetime
{
    public EtcdNode Etcd { get; private set; } = null!;
    public ZooKeeperNode ZooKeeper { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var etcd = EtcdNode.StartAsync("svc-ids-etcd");
        var zookeeper = ZooKeeperNode.StartAsync("svc-ids-zookeeper");
        Etcd = await etcd;
        ZooKeeper = await zookeeper;
    }

    public async Task DisposeAsync()
    {
        if (Etcd is not null)
            await Etcd.DisposeAsync();
        if (ZooKeeper is not null)
            await ZooKeeper.DisposeAsync();
    }
}
