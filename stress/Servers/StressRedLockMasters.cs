using Coord.Locks.RedLock;
using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Stress.Servers;

/// <summary>
/// The run's independent Redis masters for RedLock (three throwaway ones unless given), and what every target on
/// them needs: Coord's options, a peer client's connection to each master, each master's command counter.
/// </summary>
public sealed class StressRedLockMasters : IStressServer
{
    private StressRedLockMasters(IReadOnlyList<string> masters, RedisMasters? owned)
    {
        Masters = masters;
        Owned = owned;
    }

    /// <summary>One StackExchange.Redis configuration per master.</summary>
    public IReadOnlyList<string> Masters { get; }

    /// <summary>The masters when this run started them (null when given), for the kill-a-master fault.</summary>
    public RedisMasters? Owned { get; }

    public string? Started => Owned is null ? null : "redis masters " + string.Join(", ", Owned.Nodes.Select(n => n.Endpoint));

    /// <summary>The masters <paramref name="given"/>, else three throwaway ones started now.</summary>
    public static async Task<StressRedLockMasters> StartAsync(IReadOnlyList<string>? given, CancellationToken cancellationToken)
    {
        if (given is not null)
            return new(given, null);
        var masters = await RedisMasters.StartAsync(3, cancellationToken).ConfigureAwait(false);
        return new(masters.ConnectionStrings, masters);
    }

    public RedLockOptions Options(string keyPrefix) => new() { Masters = Masters.ToList(), KeyPrefix = keyPrefix };

    /// <summary>A connection of its own to every master, as a peer client in another process would have.</summary>
    public async Task<List<ConnectionMultiplexer>> ConnectAllAsync(CancellationToken cancellationToken)
    {
        var connections = new List<ConnectionMultiplexer>();
        foreach (var master in Masters)
            connections.Add(await ConnectionMultiplexer.ConnectAsync(master).WaitAsync(cancellationToken).ConfigureAwait(false));
        return connections;
    }

    public IReadOnlyList<IServerCounter> Counters() => Masters.Select(m => (IServerCounter)new RedisCommandCounter(m)).ToArray();

    public ValueTask DisposeAsync() => Owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
