using Coord.Testing;

namespace Coord.Client.Tests.Infrastructure;

/// <summary>A throwaway etcd member and the service over it.</summary>
public sealed class ServiceOnEtcdFixture : ServiceFixture
{
    private EtcdNode? _etcd;

    protected override async Task<(string Type, IReadOnlyDictionary<string, string> Settings)> StartBackendAsync()
    {
        _etcd = await EtcdNode.StartAsync();
        return ("etcd", new Dictionary<string, string> { ["Endpoints:0"] = _etcd.ClientUrl });
    }

    protected override async Task StopBackendAsync()
    {
        if (_etcd is not null)
            await _etcd.DisposeAsync();
    }
}
