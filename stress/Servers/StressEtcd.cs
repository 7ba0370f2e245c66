using Coord.Locks.Etcd;
using Coord.Testing;

namespace Coord.Stress.Servers;

/// <summary>
/// The run's etcd: one node (etcd 3.4 defaults with fsync, heartbeat 50 ms, election 500 ms: Coord.Testing's
/// settings; warmed up before anything is measured), or a throwaway 3-member cluster for the kill-the-leader fault,
/// or the endpoints given. Hands out what every target on it needs: the endpoints, Coord's options under a key
/// prefix, the servers' message counters.
/// </summary>
public sealed class StressEtcd : IStressServer
{
    private readonly IAsyncDisposable? _owned;

    private StressEtcd(IReadOnlyList<string> endpoints, IAsyncDisposable? owned, string? started)
    {
        Endpoints = endpoints;
        _owned = owned;
        Started = started;
    }

    /// <summary>Client URLs of every member.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>The cluster when this is the run's 3-member one, for the kill-the-leader fault.</summary>
    public EtcdCluster? Cluster => _owned as EtcdCluster;

    public string? Started { get; }

    /// <summary>The endpoints <paramref name="given"/>, else one throwaway node started and warmed up now.</summary>
    public static async Task<StressEtcd> StartAsync(IReadOnlyList<string>? given, CancellationToken cancellationToken)
    {
        if (given is not null)
            return new(given, null, null);
        var node = await EtcdNode.StartAsync("stress-etcd", cancellationToken).ConfigureAwait(false);
        var steady = await StressServers.ThenAsync(node, () => EtcdWarmUp.RunAsync(node.ClientUrl, cancellationToken)).ConfigureAwait(false);
        return new([node.ClientUrl], node, $"etcd {node.ClientUrl} (fsync on, etcd defaults but heartbeat 50 ms, election 500 ms; warmed up to {steady:0} put+delete/s)");
    }

    /// <summary>A throwaway 3-member cluster started now.</summary>
    public static async Task<StressEtcd> StartClusterAsync(CancellationToken cancellationToken)
    {
        var cluster = await EtcdCluster.StartAsync(3, cancellationToken).ConfigureAwait(false);
        return new(cluster.Nodes.Select(n => n.ClientUrl).ToArray(), cluster, "etcd cluster " + cluster.ClientEndpoints);
    }

    /// <summary>etcd keys use <c>/</c> where the run's key prefix has <c>:</c>.</summary>
    public static string Prefix(string keyPrefix) => keyPrefix.Replace(':', '/');

    /// <summary>Options of a Coord etcd primitive (<typeparamref name="TOptions"/>) on these endpoints, under the run's prefix and <paramref name="suffix"/>.</summary>
    public TOptions Options<TOptions>(string keyPrefix, string suffix = "") where TOptions : EtcdLockOptions, new()
        => new() { Endpoints = Endpoints.ToList(), Prefix = Prefix(keyPrefix) + suffix };

    public IReadOnlyList<IServerCounter> Counters() => EtcdMessageCounter.For(Endpoints);

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
