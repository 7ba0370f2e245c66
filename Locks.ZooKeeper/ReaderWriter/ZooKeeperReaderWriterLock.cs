using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Reader-writer locks on a ZooKeeper ensemble in the node layout of Apache Curator's InterProcessReadWriteLock
/// (<see cref="ZooKeeperReaderWriterPaths"/>), so a Java service using Curator on the path
/// <c>&lt;Root&gt;/&lt;encoded name&gt;</c> and Coord exclude each other: a Curator writer keeps Coord's readers and
/// writers out, and the other way round. Fencing token = the czxid of the hold's node.
/// </summary>
/// <remarks>
/// <para>
/// <b>The line.</b> Every acquire creates one ephemeral sequential node under the name's node, readers and writers
/// in one sequence. A writer holds when its node is the lowest; otherwise it watches its immediate predecessor. A
/// reader holds when no writer's node is below its own; otherwise it watches the last writer below it (Curator's
/// reader watches the first: either is correct, and the last wakes a reader once rather than once per writer ahead).
/// So the line is first come, first served: readers in a row share the name, and a reader that arrives behind a
/// waiting writer waits for it.
/// </para>
/// <para>
/// <b>Waking.</b> The wait is the lock's (<see cref="ZooKeeperQueueNode"/>): a waiter watches with <c>getData</c> the one
/// node that keeps it out, and a holder's release marks its node and deletes it in one multi, so a waiter that sees a
/// writer it watched released holds without reading the line again; any other change makes it read the line again.
/// </para>
/// <para>
/// <b>Fencing.</b> Nodes are admitted in sequence order (a later reader waits for every writer an earlier one waits for,
/// a writer for everything before it), and czxids rise with sequence numbers under one parent, so tokens rise with
/// every grant of the name, reads and writes alike.
/// </para>
/// <para>
/// <b>Sessions and TTL.</b> As for <see cref="ZooKeeperLock"/>: holds live on the provider's long-lived sessions; this
/// process keeps each hold's TTL (deleting the node of a hold nobody renewed) and a crashed process's holds end when
/// the server expires its session. Release by holder token works from any client; renewal only from the client that
/// acquired the hold. Curator's reentrancy (its write-lock holder may also take read locks) has no counterpart: Coord's
/// holds are not reentrant.
/// </para>
/// </remarks>
public sealed class ZooKeeperReaderWriterLock : ReaderWriterLockProvider
{
    private readonly ZooKeeperLockOptions _options;
    private readonly ZooKeeperSessionPool _sessions;
    private readonly ZooKeeperRoot _root;
    private readonly ZooKeeperHolds _holds;

    /// <summary>Creates the provider. It connects on first use, so an unreachable ensemble shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Ensemble, root path and session settings, as for <see cref="ZooKeeperLock"/>; validated here. Reader-writer lock <c>n</c> lives at <c>&lt;Root&gt;/&lt;encoded n&gt;</c>, beside a lock and a semaphore of that name without touching them.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public ZooKeeperReaderWriterLock(ZooKeeperLockOptions options, ILogger<ZooKeeperReaderWriterLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        Endpoint = options.ConnectString!;
        _sessions = new ZooKeeperSessionPool(options, Logger);
        _sessions.Connecting += () => Metrics.Request("connect");
        _root = new ZooKeeperRoot(options.Root);
        _holds = new ZooKeeperHolds("Reader-writer lock", () => Metrics, Time, Logger, Backend, Endpoint);
    }

    /// <inheritdoc/>
    public override string Backend => "zookeeper";

    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>The configured <see cref="ZooKeeperLockOptions.MinimumSessionTimeout"/>, or the server's shortest session once seen to be longer.</summary>
    public override TimeSpan MinimumTtl => _sessions.ServerMinimum > _options.MinimumSessionTimeout ? _sessions.ServerMinimum : _options.MinimumSessionTimeout;

    /// <summary>The path a Curator client passes to InterProcessReadWriteLock to share the reader-writer lock <paramref name="name"/>.</summary>
    /// <param name="root">The root path, as <see cref="ZooKeeperLockOptions.Root"/>.</param>
    /// <param name="name">The reader-writer lock name.</param>
    /// <returns><c>&lt;root&gt;/&lt;encoded name&gt;</c>.</returns>
    public static string CuratorPathOf(string root, string name) => new ZooKeeperReaderWriterPaths(root, name, "-").Parent;

    /// <inheritdoc/>
    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var session = await _sessions.GetAsync(request.Ttl, request.Name, cancellationToken).ConfigureAwait(false);
        var client = session.Client;
        var paths = new ZooKeeperReaderWriterPaths(_options.Root, request.Name, request.HolderToken);
        if (request.RemainingWait == TimeSpan.Zero)
        {
            // A try that may not wait costs one read and leaves nothing behind when it would have to wait:
            // a reader fits while no writer holds or waits, a writer only while nobody does.
            Metrics.Request("acquire");
            var line = ZooKeeperReaderWriterPaths.InLineOrder(await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false));
            if (request.IsShared ? line.Exists(c => c.IsExclusive) : line.Count > 0)
                return null;
        }

        var node = new ZooKeeperQueueNode(session, paths.Parent, paths.CreatePath(request.IsShared), paths.IsOurs, _root, Metrics, Time, Logger);
        var attempt = new Attempt(this, request, node);
        request.Attempt = attempt;
        var (path, fence, children) = await node.EnqueueAsync([], cancellationToken).ConfigureAwait(false);
        return await node.WaitForTurnAsync(request, children, ZooKeeperReaderWriterPaths.InLineOrder, releasesAreMarked: true, "Reader-writer lock", Backend, Endpoint, cancellationToken).ConfigureAwait(false)
            ? Grant(request, attempt, path, fence)
            : null;
    }

    private LockGrant Grant(LockRequest request, Attempt attempt, string node, long fence)
    {
        var hold = _holds.Start(request, node, attempt.Node.Session);
        attempt.Node.Granted = true;
        return new LockGrant(fence, hold.StartedTimestamp, hold.Lost);
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (await _holds.RenewAsync(name, holderToken, ttl, cancellationToken).ConfigureAwait(false) is { } renewed)
            return renewed;
        if (await FindHeldNodeAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is null)
            return false;
        throw _holds.HeldElsewhere(name);
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (_holds.Take(name, holderToken) is { } hold)
            return await ReleaseHeldAsync(hold, markReleased: true, Metrics, Time, Logger, cancellationToken).ConfigureAwait(false);

        // Held through another client (or not at all): any session may delete the node, found by the token's guid.
        if (await FindHeldNodeAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is not { } node)
            return false;
        return await DeleteIfThereAsync(await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false), node, Metrics, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The node of <paramref name="holderToken"/> when it holds: a node still waiting in line holds nothing yet.</summary>
    private async Task<string?> FindHeldNodeAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var paths = new ZooKeeperReaderWriterPaths(_options.Root, name, holderToken);
        var client = (await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;
        Metrics.Request("lookup");
        var line = ZooKeeperReaderWriterPaths.InLineOrder(await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false));
        var held = line.Take(ZooKeeperReaderWriterPaths.Holders(line)).FirstOrDefault(c => paths.IsOurs(c.Child));
        return held.Child is null ? null : paths.ChildPath(held.Child);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        _holds.EndAll();
        // Closing the sessions deletes every node still on them.
        await _sessions.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>An acquire's node, deleted when the acquire ends without a grant (or the grant is abandoned).</summary>
    private sealed class Attempt(ZooKeeperReaderWriterLock owner, LockRequest request, ZooKeeperQueueNode node) : LockAttempt
    {
        public ZooKeeperQueueNode Node => node;

        protected internal override Task AbandonAsync(CancellationToken cancellationToken)
        {
            if (node.Granted)
                owner._holds.Abandon(request.HolderToken);
            return node.AbandonAsync(cancellationToken);
        }
    }
}
