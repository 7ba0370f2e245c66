namespace Coord.Testing;

/// <summary>A ZooKeeper ensemble of several members on loopback (3 by default).</summary>
public sealed class ZooKeeperEnsemble : ServerCluster<ZooKeeperNode>
{
    private ZooKeeperEnsemble(IReadOnlyList<ZooKeeperNode> nodes) : base(nodes)
    {
    }

    /// <summary>Every member, comma-separated, as ZooKeeper clients take it.</summary>
    public string ConnectString => string.Join(',', Nodes.Select(n => n.ConnectString));

    public static async Task<ZooKeeperEnsemble> StartAsync(int members = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 2);
        ServerNode.RequireBinary(ZooKeeperNode.Jar, "zookeeper");
        var nodes = Enumerable.Range(1, members).Select(i => ZooKeeperNode.Create($"zookeeper-{i}", i)).ToArray();
        foreach (var node in nodes)
            node.Members = nodes;
        var ensemble = new ZooKeeperEnsemble(nodes);
        await ensemble.StartMembersAsync((n, ct) => n.LaunchAsync(ct), (n, ct) => n.WaitUntilReadyAsync(ct), cancellationToken).ConfigureAwait(false);
        return ensemble;
    }

    protected override async Task<bool> IsLeaderAsync(ZooKeeperNode node, CancellationToken cancellationToken)
        => await node.ModeAsync(cancellationToken).ConfigureAwait(false) == "leader";
}
