using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>A throwaway redis-server.</summary>
public sealed class RedisWorkerIdStore : NodeWorkerIdLeaseStore<RedisServer>
{
    public override string Backend => "redis";
    public override string Endpoint => Server.Endpoint;

    protected override Task<RedisServer> StartAsync() => RedisServer.StartAsync("ids-redis");

    public override async Task<long?> StoredLastAsync(string pool, int workerId)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Server.Endpoint);
        return (long?)await connection.GetDatabase().StringGetAsync($"coord:worker-ids:{pool}:last:{workerId}");
    }

    public override async Task TakeAwayAsync(string pool, int workerId)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Server.Endpoint);
        await connection.GetDatabase().StringSetAsync($"coord:worker-ids:{pool}:holder:{workerId}", "someone-else", TimeSpan.FromMinutes(1));
    }
}
