using System.Globalization;
using StackExchange.Redis;

namespace Coord.Stress.Servers;

/// <summary>Redis <c>INFO stats</c> <c>total_commands_processed</c>, on an admin connection of its own.</summary>
public sealed class RedisCommandCounter(string configuration) : IServerCounter
{
    private ConnectionMultiplexer? _admin;
    private long _ownCommands;

    public string Kind => "redis commands";

    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync(configuration + ",allowAdmin=true").WaitAsync(cancellationToken).ConfigureAwait(false);
        var server = _admin.GetServers()[0];
        var info = await server.InfoAsync("stats").WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var value = info.SelectMany(g => g).First(p => p.Key == "total_commands_processed").Value;
        // Each INFO counts itself once it has run; take ours out so deltas show only the lock traffic.
        _ownCommands++;
        return long.Parse(value, CultureInfo.InvariantCulture) - _ownCommands;
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
            await _admin.DisposeAsync().ConfigureAwait(false);
    }
}
