using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// What the engines of <see cref="ZooKeeperSemaphore"/> and <see cref="ZooKeeperReaderWriterLock"/> share: the
/// provider's long-lived sessions, the root's container nodes, the holds this process keeps (with their TTLs), and
/// renew and release by holder token. A primitive supplies its acquire (its node layout and line) and how to find the
/// node that a holder token holds when this process does not know it.
/// </summary>
internal abstract class ZooKeeperHoldEngine : IHoldEngine
{
    private readonly bool _marksReleases;

    /// <summary>The backend name of every ZooKeeper primitive.</summary>
    public const string Backend = "zookeeper";

    /// <param name="options">The provider's validated options.</param>
    /// <param name="kind">The primitive, for messages: "Semaphore", "Reader-writer lock".</param>
    /// <param name="marksReleases">
    /// Whether a release marks the node released in the multi that deletes it, so that a waiter watching it holds
    /// without reading the line again (a primitive whose waiters read the line again anyway gains nothing from the mark).
    /// </param>
    /// <param name="provider">The provider's metrics, clock and logger.</param>
    protected ZooKeeperHoldEngine(ZooKeeperLockOptions options, string kind, bool marksReleases, HoldEngineServices provider)
    {
        Options = options;
        _marksReleases = marksReleases;
        Endpoint = options.ConnectString!;
        Metrics = provider.Metrics;
        Time = provider.Time;
        Logger = provider.Logger;
        Sessions = new ZooKeeperSessionPool(options, Logger);
        Sessions.Connecting += () => Metrics.Request("connect");
        Root = new ZooKeeperRoot(options.Root);
        Holds = new ZooKeeperHolds(kind, () => Metrics, Time, Logger, Backend, Endpoint);
    }

    public string Endpoint { get; }

    public bool BoundsEveryCall => false;

    /// <summary>The configured <see cref="ZooKeeperLockOptions.MinimumSessionTimeout"/>, or the server's shortest session once seen to be longer.</summary>
    public TimeSpan MinimumTtl => Sessions.ServerMinimum > Options.MinimumSessionTimeout ? Sessions.ServerMinimum : Options.MinimumSessionTimeout;

    protected ZooKeeperLockOptions Options { get; }

    protected ZooKeeperSessionPool Sessions { get; }

    protected ZooKeeperRoot Root { get; }

    protected ZooKeeperHolds Holds { get; }

    protected LockMetrics Metrics { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    public async Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var session = await Sessions.GetAsync(request.Ttl, request.Name, cancellationToken).ConfigureAwait(false);
        return await AcquireAsync(request, session, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The acquire of <paramref name="request"/> on <paramref name="session"/>, a session of the pool for the request's TTL.</summary>
    protected abstract Task<LockGrant?> AcquireAsync(LockRequest request, ZooKeeperSession session, CancellationToken cancellationToken);

    /// <summary>The node of <paramref name="holderToken"/> when it holds (one that still waits in line holds nothing yet), or null.</summary>
    protected abstract Task<string?> FindHeldNodeAsync(string name, string holderToken, CancellationToken cancellationToken);

    public async Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (await Holds.RenewAsync(name, holderToken, ttl, cancellationToken).ConfigureAwait(false) is { } renewed)
            return renewed;
        if (await FindHeldNodeAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is null)
            return false;
        throw Holds.HeldElsewhere(name);
    }

    public async Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (Holds.Take(name, holderToken) is { } hold)
            return await ReleaseHeldAsync(hold, _marksReleases, Metrics, Time, Logger, cancellationToken).ConfigureAwait(false);

        // Held through another client (or not at all): any session may delete the node, found by the token's guid.
        if (await FindHeldNodeAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is not { } node)
            return false;
        return await DeleteIfThereAsync(await Sessions.GetAsync(Options.DefaultTtl, name, cancellationToken).ConfigureAwait(false), node, Metrics, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Holds.EndAll();
        // Closing the sessions deletes every node still on them.
        await Sessions.DisposeAsync().ConfigureAwait(false);
    }
}
