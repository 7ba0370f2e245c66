using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>One redis-server and two service instances over it.</summary>
public sealed class RedisServiceFixture : ServerBackedFixture<RedisServer>
{
    public override string BackendName => "redis";

    protected override Task<RedisServer> StartServersAsync() => RedisServer.StartAsync();

    protected override Task<Dictionary<string, string>> SettingsAsync(RedisServer server) => Task.FromResult(new Dictionary<string, string>
    {
        ["Coord:Locks:Backends:redis:Type"] = "redis",
        ["Coord:Locks:Backends:redis:Configuration"] = server.ConnectionString,
    });
}
