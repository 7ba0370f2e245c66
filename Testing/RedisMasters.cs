namespace Coord.Testing;

/// <summary>N independent redis-server masters, as RedLock needs them.</summary>
public sealed class RedisMasters : IAsyncDisposable
{
    private RedisMasters(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>One StackExchange.Redis configuration string per master.</summary>
    public IReadOnlyList<string> ConnectionStrings => Nodes.Select(n => n.ConnectionString).ToArray();

    public static async Task<RedisMasters> StartAsync(int count = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var started = await Task.WhenAll(Enumerable.Range(1, count).Select(i => RedisServer.StartAsync($"redis-master-{i}", cancellationToken))).ConfigureAwait(false);
        return new RedisMasters(started);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            await node.DisposeAsync().ConfigureAwait(false);
    }
}
