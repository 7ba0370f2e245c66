using Coord.Testing;

namespace Coord.Locks.Tests.Etcd;

/// <summary>One throwaway 3-member etcd cluster per test class.</summary>
public sealed class EtcdClusterFixture : IAsyncLifetime
{
    public EtcdCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await EtcdCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
