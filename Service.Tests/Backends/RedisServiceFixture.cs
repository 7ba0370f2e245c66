using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One redis-server and two service instances over it.</summary>
public sealed class RedisServiceFixture : BackendServiceFixture
{
    private RedisServer? _server;

    public override string BackendName => "redis";

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _server = await RedisServer.StartAsync();
        return new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:redis:Type"] = "redis",
            ["Coord:Locks:Backends:redis:Configuration"] = _server.ConnectionString,
        };
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
