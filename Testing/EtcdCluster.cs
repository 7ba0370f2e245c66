namespace Coord.Testing;

/// <summary>An etcd cluster of several members on loopback (3 by default).</summary>
public sealed class EtcdCluster : ServerCluster<EtcdNode>
{
    private EtcdCluster(IReadOnlyList<EtcdNode> nodes) : base(nodes)
    {
    }

    /// <summary>Every member's client URL, comma-separated, as dotnet-etcd and etcdctl take them.</summary>
    public string ClientEndpoints => string.Join(',', Nodes.Select(n => n.ClientUrl));

    public static async Task<EtcdCluster> StartAsync(int members = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        ServerNode.RequireBinary(EtcdNode.Binary, "etcd-server");
        var nodes = Enumerable.Range(1, members).Select(i => EtcdNode.Create($"etcd-{i}")).ToArray();
        var initialCluster = string.Join(',', nodes.Select(n => $"{n.Name}={n.PeerUrl}"));
        var token = Guid.NewGuid().ToString("N");
        foreach (var node in nodes)
        {
            node.InitialCluster = initialCluster;
            node.ClusterToken = token;
        }
        var cluster = new EtcdCluster(nodes);
        await cluster.StartMembersAsync((n, ct) => n.LaunchAsync(ct), (n, ct) => n.WaitUntilReadyAsync(ct), cancellationToken).ConfigureAwait(false);
        return cluster;
    }

    protected override Task<bool> IsLeaderAsync(EtcdNode node, CancellationToken cancellationToken) => node.IsLeaderAsync(cancellationToken);
}
