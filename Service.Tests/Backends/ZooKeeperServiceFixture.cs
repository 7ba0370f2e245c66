using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One ZooKeeper server and two service instances over it.</summary>
public sealed class ZooKeeperServiceFixture : BackendServiceFixture
{
    private ZooKeeperNode? _node;

    public override string BackendName => "zk";

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _node = await ZooKeeperNode.StartAsync();
        return new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:zk:Type"] = "zookeeper",
            ["Coord:Locks:Backends:zk:ConnectString"] = _node.ConnectString,
        };
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_node is not null)
            await _node.DisposeAsync();
    }
}
