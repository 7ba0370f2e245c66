using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Locks on a ZooKeeper ensemble with the ephemeral-sequential recipe, compatible with Apache
/// Curator's InterProcessMutex (paths: <see cref="ZooKeeperLockPaths"/>). Contenders queue by
/// sequence number; the lowest holds; each waiter watches only its immediate predecessor, so a
/// release wakes exactly one waiter. Fencing token = the czxid of our node.
/// </summary>
/// <remarks>
/// <para>
/// <b>Sessions.</b> Holds live on the provider's long-lived sessions (<see cref="ZooKeeperSession"/>,
/// one per TTL), so an acquisition costs no connect: <c>create2</c> and <c>getChildren2</c> go out
/// together, a waiter adds one <c>getData</c> watch, and a release is one <c>multi</c>. A crashed
/// process loses every hold when the server expires its session; a session that can no longer be
/// vouched for fires Lost on all of its holds first.
/// </para>
/// <para>
/// <b>TTL per hold.</b> The process keeps each hold's TTL itself: a hold not renewed by its deadline
/// (a bare lease nobody renewed, a handle that stopped renewing) has its node deleted by this process
/// while the session lives on. A renewal checks that the node is still ours and moves the deadline.
/// </para>
/// <para>
/// <b>Release marks the hand-off.</b> A holder's release sets its node's data and deletes it in one
/// multi. The waiter behind it, watching with <c>getData</c>, sees the data change: its predecessor
/// held the lock, so nothing below the waiter is left and it holds without reading the children
/// again. A plain delete (an abandoned wait, a crashed session, a Curator client) wakes it to read
/// again. (A Curator <c>Revoker</c> writing to a Coord holder's node would look like such a release.)
/// </para>
/// <para>
/// <b>Token from another provider.</b> Release by holder token works from anywhere: the node is found
/// by the guid derived from the token and deleted. Renewal cannot: only the owning process keeps the
/// hold's TTL, so a renewal of a token held through another provider throws a <see cref="LockException"/>
/// saying so. A token that holds nothing returns false from both.
/// </para>
/// </remarks>
public sealed class ZooKeeperLock : LockProvider
{
    private readonly ZooKeeperLockOptions _options;
    private readonly ZooKeeperSessionPool _sessions;
    private readonly ZooKeeperHolds _holds;
    private readonly ZooKeeperRoot _root;
    private readonly string _marker;
    private readonly string _kind;

    /// <summary>Creates the provider. It connects on first use, so an unreachable ensemble shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Ensemble, root path and session settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public ZooKeeperLock(ZooKeeperLockOptions options, ILogger<ZooKeeperLock>? logger = null)
        : this(options, logger, ZooKeeperLockPaths.LockMarker, "Lock")
    {
    }

    /// <summary>
    /// The queue of a leader election (<see cref="ZooKeeperLeaderElection"/>): contenders named with <paramref name="marker"/>
    /// (Curator LeaderLatch's), each carrying data, and a change of a predecessor's data (a leader proclaiming) is no hand-off.
    /// </summary>
    internal ZooKeeperLock(ZooKeeperLockOptions options, ILogger? logger, string marker, string kind)
        : base(options, logger)
    {
        _options = options;
        _marker = marker;
        _kind = kind;
        Endpoint = options.ConnectString!;
        _sessions = new ZooKeeperSessionPool(options, Logger);
        _root = new ZooKeeperRoot(options.Root);
        _holds = new ZooKeeperHolds(kind, () => Metrics, Time, Logger, Backend, Endpoint);
        _sessions.Connecting += () => Metrics.Request("connect");
    }

    /// <inheritdoc/>
    public override string Backend => "zookeeper";

    /// <summary>The configured <see cref="ZooKeeperLockOptions.MinimumSessionTimeout"/>, or the server's shortest session once seen to be longer.</summary>
    public override TimeSpan MinimumTtl => _sessions.ServerMinimum > _options.MinimumSessionTimeout ? _sessions.ServerMinimum : _options.MinimumSessionTimeout;
    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>False: a hold is an ephemeral node of the acquiring provider's session, whose TTL only that provider keeps.</summary>
    public override bool RenewsFromAnyProcess => false;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => QueueAsync(request, [], cancellationToken);

    /// <summary>An election's campaign: queues with <paramref name="data"/> (the candidate's value) on the node.</summary>
    internal Task<LockGrant?> CampaignAsync(LockRequest request, byte[] data, CancellationToken cancellationToken)
        => QueueAsync(request, data, cancellationToken);

    private async Task<LockGrant?> QueueAsync(LockRequest request, byte[] data, CancellationToken cancellationToken)
    {
        var session = await _sessions.GetAsync(request.Ttl, request.Name, cancellationToken).ConfigureAwait(false);
        var client = session.Client;
        var paths = Paths(request.Name, request.HolderToken);
        if (request.RemainingWait == TimeSpan.Zero)
        {
            // A try that may not wait costs one read and leaves nothing behind when the lock is taken.
            // Only contenders count: a semaphore of the same name keeps its own children (locks, leases) here.
            Metrics.Request("acquire");
            if (paths.InQueueOrderOf(await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false)).Count > 0)
                return null;
        }

        var attempt = new ZooKeeperQueueNode(session, paths.Parent, paths.CreatePath, paths.IsOurs, _root, Metrics, Time, Logger);
        request.Attempt = new NodeAttempt(this, request.HolderToken, attempt);
        var (node, fence, children) = await attempt.EnqueueAsync(data, cancellationToken).ConfigureAwait(false);
        return await attempt.WaitForTurnAsync(request, children, InLineOrder, MarksRelease, _kind, Backend, Endpoint, cancellationToken).ConfigureAwait(false)
            ? Grant(request, attempt, node, fence)
            : null;
    }

    /// <summary>The contenders in line order: every one exclusive.</summary>
    private List<ZooKeeperContender> InLineOrder(IReadOnlyList<string> children)
        => ZooKeeperLockPaths.InQueueOrder(children, _marker).ConvertAll(child => new ZooKeeperContender(child, IsExclusive: true));

    private LockGrant Grant(LockRequest request, ZooKeeperQueueNode attempt, string node, long fence)
    {
        var hold = _holds.Start(request, node, attempt.Session);
        attempt.Granted = true;
        return new LockGrant(fence, hold.StartedTimestamp, hold.Lost);
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (await _holds.RenewAsync(name, holderToken, ttl, cancellationToken).ConfigureAwait(false) is { } renewed)
            return renewed;
        if (await FindNodeOfTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is null)
            return false;
        throw _holds.HeldElsewhere(name);
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (_holds.Take(name, holderToken) is { } hold)
            return await ReleaseHeldAsync(hold, markReleased: MarksRelease, Metrics, Time, Logger, cancellationToken).ConfigureAwait(false);

        // Held through another client (or not at all): any session may delete the node, found by the token's guid.
        if (await FindNodeOfTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is not { } node)
            return false;
        return await DeleteIfThereAsync(await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false), node, Metrics, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>An acquire that queued no node (a try that found the line taken) left nothing: no request to look for one.</remarks>
    protected override Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => request.Attempt is NodeAttempt queued ? queued.LeaveAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>One acquire's node in the line, and the hold it may already have started when the acquire failed after all.</summary>
    private sealed class NodeAttempt(ZooKeeperLock provider, string holderToken, ZooKeeperQueueNode node) : LockAttempt
    {
        public async Task LeaveAsync(CancellationToken cancellationToken)
        {
            if (node.Granted)
                provider._holds.Abandon(holderToken);
            await node.AbandonAsync(cancellationToken).ConfigureAwait(false);
        }

        protected internal override Task AbandonAsync(CancellationToken cancellationToken) => LeaveAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var client = (await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;
        var parent = $"{_options.Root}/{ZooKeeperLockPaths.EncodeName(name)}";
        Metrics.Request("status");
        foreach (var child in ZooKeeperLockPaths.InQueueOrder(await ChildrenOrEmptyAsync(client, parent, cancellationToken).ConfigureAwait(false), _marker))
        {
            // The first contender holds; if it just left, the next one does.
            Metrics.Request("status");
            if (await client.ExistsAsync($"{parent}/{child}", cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return new LockStatus(name, true, null, stat.Czxid);
        }
        return new LockStatus(name, false, null, null);
    }

    private async Task<string?> FindNodeOfTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var paths = Paths(name, holderToken);
        var client = (await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;
        Metrics.Request("lookup");
        var children = await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false);
        // Only the first contender holds: a token whose node still waits in the queue holds nothing yet.
        var queue = paths.InQueueOrderOf(children);
        return queue.Count > 0 && paths.IsOurs(queue[0]) ? paths.ChildPath(queue[0]) : null;
    }

    /// <summary>
    /// False in an election: a leader's data changes when it proclaims a value, and Curator's LeaderLatch waiters act on a
    /// deletion only (a data change would use up their one-shot watch), so a resignation is a plain delete.
    /// </summary>
    private bool MarksRelease => _marker == ZooKeeperLockPaths.LockMarker;

    private ZooKeeperLockPaths Paths(string name, string holderToken) => new(_options.Root, name, holderToken, _marker);

    /// <summary>The session reads of <paramref name="name"/> go through (the provider's default-TTL session).</summary>
    internal async Task<ZooKeeperClient> ReaderAsync(string name, CancellationToken cancellationToken)
        => (await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;

    /// <summary>This provider's live hold of <paramref name="holderToken"/> on <paramref name="name"/>, or null.</summary>
    internal ZooKeeperHold? LocalHold(string name, string holderToken) => _holds.Find(name, holderToken);

    /// <summary>The lock's renewal, for an election's leadership.</summary>
    internal Task<bool> RenewHoldAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken) => RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>The lock's release, for an election's resignation.</summary>
    internal Task<bool> ReleaseHoldAsync(string name, string holderToken, CancellationToken cancellationToken) => ReleaseCoreAsync(name, holderToken, cancellationToken);

    /// <summary>The lock's clean-up of an abandoned acquire, for a withdrawn candidacy.</summary>
    internal Task WithdrawAsync(LockRequest request, CancellationToken cancellationToken) => AbandonAcquireAsync(request, cancellationToken);

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        _holds.EndAll();
        // Closing the sessions deletes every node still on them (bare leases nobody released).
        await _sessions.DisposeAsync().ConfigureAwait(false);
    }
}
