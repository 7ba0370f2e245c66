using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One ZooKeeper server and two service instances over it.</summary>
public sealed class ZooKeeperServiceFixture : ServerBackedFixture<ZooKeeperNode>
{
    public override string BackendName => "zk";

    protected override Task<ZooKeeperNode> StartServersAsync() => ZooKeeperNode.StartAsync();

    protected override Task<Dictionary<string, string>> SettingsAsync(ZooKeeperNode node) => Task.FromResult(new Dictionary<string, string>
    {
        ["Coord:Locks:Backends:zk:Type"] = "zookeeper",
        ["Coord:Locks:Backends:zk:ConnectString"] = node.ConnectString,
        ["Coord:Locks:Backends:zk:MinimumSessionTimeout"] = ZooKeeperNode.MinimumSessionTimeout.ToString(),
    });
}
