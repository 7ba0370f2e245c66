using Coord.Locks.Redis;
using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Stress.Servers;

/// <summary>
/// The run's one Redis server (Coord.Testing's settings: no persistence), and what every target on it needs:
/// Coord's options under a key prefix, a peer client's own connection, the server's command counter.
/// </summary>
public sealed class StressRedis : IStressServer
{
    private readonly RedisServer? _owned;

    private StressRedis(string configuration, RedisServer? owned)
    {
        Configuration = configuration;
        _owned = owned;
    }

    /// <summary>StackExchange.Redis configuration of the server.</summary>
    public string Configuration { get; }

    public string? Started => _owned is null ? null : $"redis {_owned.Endpoint}";

    /// <summary>The server at <paramref name="given"/>, else a throwaway one started now.</summary>
    public static async Task<StressRedis> StartAsync(string? given, CancellationToken cancellationToken)
    {
        if (given is not null)
            return new(given, null);
        var server = await RedisServer.StartAsync("stress-redis", cancellationToken).ConfigureAwait(false);
        return new(server.ConnectionString, server);
    }

    public RedisLockOptions Options(string keyPrefix) => new() { Configuration = Configuration, KeyPrefix = keyPrefix };

    /// <summary>A connection of its own, as a peer client in another process would have.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
        => await ConnectionMultiplexer.ConnectAsync(Configuration).WaitAsync(cancellationToken).ConfigureAwait(false);

    public IReadOnlyList<IServerCounter> Counters() => [new RedisCommandCounter(Configuration)];

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
