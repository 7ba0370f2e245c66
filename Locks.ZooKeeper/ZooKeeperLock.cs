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
    // A watch is the wake-up; this only bounds how long a waiter trusts it before looking again.
    private static readonly TimeSpan WatchFallback = TimeSpan.FromSeconds(30);
    private static readonly byte[] ReleasedMark = "released"u8.ToArray();

    private readonly ZooKeeperLockOptions _options;
    private readonly ZooKeeperSessionPool _sessions;
    private readonly ZooKeeperHolds _holds;
    private readonly ZooKeeperRoot _root;
    private readonly string _marker;

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

        var attempt = new Attempt(session);
        request.BackendState = attempt;
        var (node, fence, children) = await EnqueueAsync(attempt, paths, data, cancellationToken).ConfigureAwait(false);
        var ourName = node[(node.LastIndexOf('/') + 1)..];
        while (true)
        {
            if (children is null)
            {
                Metrics.Request("acquire");
                children = (await RetryAsync(() => client.GetChildrenAsync(paths.Parent, cancellationToken: cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false)).Children;
            }
            var queue = paths.InQueueOrderOf(children);
            children = null;
            var place = queue.IndexOf(ourName);
            if (place < 0)
                throw new LockException($"Lock '{request.Name}': our queue node {node} disappeared while waiting (deleted by someone else, or the session ended).", request.Name, Backend, Endpoint);
            if (place == 0)
                return Grant(request, attempt, node, fence);
            if (request.WaitExpired)
                return null;

            // Nodes are only ever added above ours: once a predecessor that held the lock is gone, nothing is left below us.
            var predecessorHeld = place == 1;
            var woken = new TaskCompletionSource<ZooKeeperEventType>(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                Metrics.Request("acquire");
                await RetryAsync(() => client.GetDataAsync(paths.ChildPath(queue[place - 1]), e => woken.TrySetResult(e.Type), cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                if (predecessorHeld)
                    return Grant(request, attempt, node, fence);
                continue;
            }
            ZooKeeperEventType change;
            try
            {
                change = await woken.Task.WaitAsync(request.NextWakeUp(WatchFallback), Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (request.WaitExpired)
            {
                return null;
            }
            catch (TimeoutException)
            {
                continue; // look again; the watch stays registered and may still fire
            }
            if (change == ZooKeeperEventType.None)
                throw new LockException($"Lock '{request.Name}': the ZooKeeper session ended while waiting.", request.Name, Backend, Endpoint);
            if ((change == ZooKeeperEventType.NodeDataChanged && MarksRelease) || (change == ZooKeeperEventType.NodeDeleted && predecessorHeld))
                return Grant(request, attempt, node, fence);
        }
    }

    /// <summary>
    /// Creates our ephemeral sequential node with the children read pipelined behind it, making the
    /// root and the lock's container parent when missing. A create whose reply was lost may have
    /// happened: we look for our guid before trying again. Children are null when they must be read again.
    /// </summary>
    private async Task<(string Path, long Czxid, IReadOnlyList<string>? Children)> EnqueueAsync(Attempt attempt, ZooKeeperLockPaths paths, byte[] data, CancellationToken cancellationToken)
    {
        var client = attempt.Session.Client;
        while (true)
        {
            // The create is not cancelled with the caller: if it went out, its reply tells the clean-up which node to delete.
            Metrics.Request("acquire");
            var create = client.CreateAsync(paths.CreatePath, data, ZooKeeperCreateMode.EphemeralSequential, CancellationToken.None);
            attempt.Create = create;
            Metrics.Request("acquire");
            var read = client.GetChildrenAsync(paths.Parent, cancellationToken: cancellationToken);
            try
            {
                var created = await create.WaitAsync(cancellationToken).ConfigureAwait(false);
                attempt.NodePath = created.Path;
                try
                {
                    return (created.Path, created.Stat.Czxid, (await read.ConfigureAwait(false)).Children);
                }
                catch (ZooKeeperException ex) when (IsTransient(ex))
                {
                    return (created.Path, created.Stat.Czxid, null);
                }
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                Observe(read);
                await _root.CreateAsync(client, Metrics, [paths.Parent], cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Observe(read);
                Metrics.Request("acquire");
                if (await RetryAsync(() => FindOwnNodeAsync(client, paths, cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false) is { } ours)
                {
                    attempt.NodePath = ours.Path;
                    return (ours.Path, ours.Czxid, null);
                }
            }
            catch
            {
                Observe(read);
                throw;
            }
        }
    }

    private LockGrant Grant(LockRequest request, Attempt attempt, string node, long fence)
    {
        var hold = _holds.Start(request, node, attempt.Session);
        attempt.Granted = true;
        return new LockGrant(fence, hold.StartedTimestamp, hold.Lost);
    }

    private async Task<(string Path, long Czxid)?> FindOwnNodeAsync(ZooKeeperClient client, ZooKeeperLockPaths paths, CancellationToken cancellationToken)
    {
        foreach (var child in await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false))
        {
            if (!paths.IsOurs(child))
                continue;
            Metrics.Request("acquire");
            if (await client.ExistsAsync(paths.ChildPath(child), cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return (paths.ChildPath(child), stat.Czxid);
        }
        return null;
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
            return await ReleaseHeldAsync(hold, cancellationToken).ConfigureAwait(false);

        // Held through another client (or not at all): any session may delete the node, found by the token's guid.
        if (await FindNodeOfTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is not { } node)
            return false;
        var session = await _sessions.GetAsync(_options.DefaultTtl, name, cancellationToken).ConfigureAwait(false);
        try
        {
            Metrics.Request("release");
            await session.Client.DeleteAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return false;
        }
    }

    /// <summary>
    /// One multi: mark our node released, then delete it (in an election, the delete alone). The waiter behind us sees the
    /// mark and knows it holds; if the reply is lost the multi is sent again (NoNode then means it was applied).
    /// </summary>
    private async Task<bool> ReleaseHeldAsync(ZooKeeperHold hold, CancellationToken cancellationToken)
    {
        var client = hold.Session.Client;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Metrics.Request("release");
                await client.MultiAsync(MarksRelease ? [ZooKeeperOperation.SetData(hold.NodePath, ReleasedMark), ZooKeeperOperation.Delete(hold.NodePath)] : [ZooKeeperOperation.Delete(hold.NodePath)], cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return attempt > 0;
            }
            catch (Exception ex) when (hold.Session.IsLost && ex is ZooKeeperException or ObjectDisposedException)
            {
                return false; // the session, and with it the node, is gone or going
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Logger.LogDebug(ex, "Releasing lock {LockName} on ZooKeeper: the connection moved; sending the release again", hold.Name);
            }
            catch (OperationCanceledException)
            {
                // The caller stopped waiting; the node still goes, in the background.
                _ = DeleteUntilGoneAsync(hold.Session, hold.NodePath, Metrics, Time, Logger);
                throw;
            }
        }
    }

    /// <inheritdoc/>
    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        if (request.BackendState is not Attempt attempt)
            return;
        if (attempt.Granted)
            _holds.Abandon(request.HolderToken);
        var node = attempt.NodePath;
        if (node is null && attempt.Create is { } create)
        {
            try
            {
                node = (await create.WaitAsync(cancellationToken).ConfigureAwait(false)).Path;
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Metrics.Request("acquire");
                node = (await FindOwnNodeAsync(attempt.Session.Client, Paths(request.Name, request.HolderToken), cancellationToken).ConfigureAwait(false))?.Path;
            }
            catch (ZooKeeperException)
            {
                return; // the create failed, so there is nothing to delete
            }
        }
        // A plain delete: whoever waits behind us reads the queue again rather than taking our leaving for a release.
        if (node is not null)
            await DeleteUntilGoneAsync(attempt.Session, node, Metrics, Time, Logger).WaitAsync(cancellationToken).ConfigureAwait(false);
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

    private sealed class Attempt(ZooKeeperSession session)
    {
        public ZooKeeperSession Session => session;
        public Task<ZooKeeperCreated>? Create { get; set; }
        public string? NodePath { get; set; }
        public volatile bool Granted;
    }
}
