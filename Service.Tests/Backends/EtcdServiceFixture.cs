using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One etcd member and two service instances over it.</summary>
public sealed class EtcdServiceFixture : BackendServiceFixture
{
    private EtcdNode? _node;

    public override string BackendName => "etcd";

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _node = await EtcdNode.StartAsync();
        return new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:etcd:Type"] = "etcd",
            ["Coord:Locks:Backends:etcd:Endpoints:0"] = _node.ClientUrl,
        };
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_node is not null)
            await _node.DisposeAsync();
    }
}
