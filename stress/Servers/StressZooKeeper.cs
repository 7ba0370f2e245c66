using Coord.Locks.ZooKeeper;
using Coord.Testing;

namespace Coord.Stress.Servers;

/// <summary>
/// The run's ZooKeeper: one node (forceSync=no, tickTime 500 ms, maxClientCnxns 60: Coord.Testing's settings; warmed
/// up before anything is measured), or a throwaway 3-member ensemble for the kill-the-leader fault, or the connect
/// string given. Hands out what every target on it needs: the connect string, a root of the target's own under the
/// run's prefix, Coord's options there, the servers' packet counter.
/// </summary>
public sealed class StressZooKeeper : IStressServer
{
    private readonly IAsyncDisposable? _owned;

    private StressZooKeeper(string connectString, IAsyncDisposable? owned, string? started)
    {
        ConnectString = connectString;
        _owned = owned;
        Started = started;
    }

    public string ConnectString { get; }

    /// <summary>The ensemble when this is the run's 3-member one, for the kill-the-leader fault.</summary>
    public ZooKeeperEnsemble? Ensemble => _owned as ZooKeeperEnsemble;

    public string? Started { get; }

    /// <summary>The connect string <paramref name="given"/>, else one throwaway node started and warmed up now.</summary>
    public static async Task<StressZooKeeper> StartAsync(string? given, CancellationToken cancellationToken)
    {
        if (given is not null)
            return new(given, null, null);
        var node = await ZooKeeperNode.StartAsync("stress-zookeeper", cancellationToken).ConfigureAwait(false);
        var steady = await StressServers.ThenAsync(node, () => ZooKeeperWarmUp.RunAsync(OptionsAt(node.ConnectString, "/coord-stress-warm-up"), cancellationToken)).ConfigureAwait(false);
        return new(node.ConnectString, node, $"zookeeper {node.ConnectString} (forceSync=no, tickTime 500 ms, maxClientCnxns 60; warmed up to {steady:0} acquire+release/s)");
    }

    /// <summary>A throwaway 3-member ensemble started now.</summary>
    public static async Task<StressZooKeeper> StartEnsembleAsync(CancellationToken cancellationToken)
    {
        var ensemble = await ZooKeeperEnsemble.StartAsync(3, cancellationToken).ConfigureAwait(false);
        return new(ensemble.ConnectString, ensemble, "zookeeper ensemble " + ensemble.ConnectString);
    }

    /// <summary>The root path of one target: the run's prefix without its colons, then <paramref name="suffix"/> (e.g. <c>-rw</c>).</summary>
    public static string Root(string keyPrefix, string suffix = "") => "/coord-stress/" + keyPrefix.Replace(":", "", StringComparison.Ordinal) + suffix;

    /// <summary>Options of a Coord ZooKeeper primitive at <see cref="Root"/>, sessions as short as the throwaway server allows.</summary>
    public ZooKeeperLockOptions Options(string keyPrefix, string suffix = "") => OptionsAt(ConnectString, Root(keyPrefix, suffix));

    public IReadOnlyList<IServerCounter> Counters() => [new ZooKeeperPacketCounter(ConnectString)];

    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static ZooKeeperLockOptions OptionsAt(string connectString, string root)
        => new() { ConnectString = connectString, Root = root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout };
}
