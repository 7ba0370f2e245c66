using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One etcd member and two service instances over it.</summary>
public sealed class EtcdServiceFixture : ServerBackedFixture<EtcdNode>
{
    public override string BackendName => "etcd";

    protected override Task<EtcdNode> StartServersAsync() => EtcdNode.StartAsync();

    protected override Task<Dictionary<string, string>> SettingsAsync(EtcdNode node) => Task.FromResult(new Dictionary<string, string>
    {
        ["Coord:Locks:Backends:etcd:Type"] = "etcd",
        ["Coord:Locks:Backends:etcd:Endpoints:0"] = node.ClientUrl,
    });
}
