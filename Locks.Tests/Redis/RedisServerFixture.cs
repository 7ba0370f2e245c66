using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Locks.Tests.Redis;

/// <summary>One throwaway redis-server per test class, plus a raw connection for reaching behind a holder's back.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;
    public ConnectionMultiplexer Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Raw = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>Commands the server has processed so far (INFO stats total_commands_processed).</summary>
    public async Task<long> CommandsProcessedAsync()
    {
        var info = await Raw.GetServer(Server.Endpoint).InfoAsync("stats");
        return long.Parse(info.SelectMany(g => g).First(kv => kv.Key == "total_commands_processed").Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
