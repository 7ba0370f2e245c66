using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// One contender's ephemeral sequential node in a line of Curator-style nodes under one parent (the lock's
/// <c>_c_&lt;guid&gt;-lock-NNNNNNNNNN</c>, the reader-writer lock's <c>_c_&lt;guid&gt;-__READ__NNNNNNNNNN</c> and
/// <c>-__WRIT__</c>), from its create until the acquire holds or is abandoned: the create, the wait for its turn, and
/// the delete of an abandoned one. The guid comes from the holder token, so a node whose create reply was lost is
/// found again instead of being created twice or left behind.
/// </summary>
/// <remarks>
/// The turn: an exclusive node (a lock's, a writer's) waits for every node before it, a shared one (a reader's) only
/// for the exclusive ones before it. A waiter watches, with <c>getData</c> (an <c>exists</c> watch on a node already
/// gone stays registered), the one node that keeps it out: its predecessor if it is exclusive, else the last
/// exclusive node before it. Nodes are only ever added behind ours, so once a watched node that was first in line
/// is gone nothing we wait for is left; and a holder's release marks its node before deleting it
/// (<see cref="ZooKeeperCalls.ReleaseHeldAsync"/>), so a watched exclusive node seen released held alone, everyone
/// before it had gone, and what lies between it and us does not keep us out. Anything else makes the waiter read the line again.
/// </remarks>
internal sealed class ZooKeeperQueueNode
{
    // A watch is the wake-up; this only bounds how long a waiter trusts it before looking again.
    private static readonly TimeSpan WatchFallback = TimeSpan.FromSeconds(30);

    private readonly string _parent;
    private readonly string _createPath;
    private readonly Func<string, bool> _isOurs;
    private readonly ZooKeeperRoot _root;
    private readonly LockMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Task<ZooKeeperCreated>? _create;

    /// <param name="session">The session the node is created on (and ends with).</param>
    /// <param name="parent">The line's container node.</param>
    /// <param name="createPath">What to create; the server appends the 10-digit sequence number.</param>
    /// <param name="isOurs">Whether a child of <paramref name="parent"/> is this holder token's node.</param>
    /// <param name="root">The provider's root, made with the parent when missing.</param>
    /// <param name="metrics">The provider's request counts.</param>
    /// <param name="time">The provider's clock.</param>
    /// <param name="logger">The provider's logger.</param>
    public ZooKeeperQueueNode(ZooKeeperSession session, string parent, string createPath, Func<string, bool> isOurs, ZooKeeperRoot root, LockMetrics metrics, TimeProvider time, ILogger logger)
    {
        Session = session;
        _parent = parent;
        _createPath = createPath;
        _isOurs = isOurs;
        _root = root;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public ZooKeeperSession Session { get; }

    /// <summary>The node's path, once its create replied or it was found again.</summary>
    public string? Path { get; private set; }

    /// <summary>Set once the acquire holds, so that abandoning it also ends the hold.</summary>
    public volatile bool Granted;

    /// <summary>
    /// Creates the node with the parent's children read pipelined behind it, making the root and the parent when
    /// missing. A create whose reply was lost may have happened: we look for our guid before trying again.
    /// Children are null when they must be read again.
    /// </summary>
    /// <param name="data">What the node carries: nothing for a lock's or a reader-writer lock's, the candidate's value for an election's.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply (the create itself still goes out).</param>
    public async Task<(string Path, long Czxid, IReadOnlyList<string>? Children)> EnqueueAsync(byte[] data, CancellationToken cancellationToken)
    {
        var client = Session.Client;
        while (true)
        {
            // The create is not cancelled with the caller: if it went out, its reply tells the clean-up which node to delete.
            _metrics.Request("acquire");
            var create = client.CreateAsync(_createPath, data, ZooKeeperCreateMode.EphemeralSequential, CancellationToken.None);
            _create = create;
            _metrics.Request("acquire");
            var read = client.GetChildrenAsync(_parent, cancellationToken: cancellationToken);
            try
            {
                var created = await create.WaitAsync(cancellationToken).ConfigureAwait(false);
                Path = created.Path;
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
                await _root.CreateAsync(client, _metrics, [_parent], cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Observe(read);
                if (await RetryAsync(() => FindOwnAsync(cancellationToken), _time, _logger, cancellationToken).ConfigureAwait(false) is { } ours)
                {
                    Path = ours.Path;
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

    /// <summary>
    /// Waits for the turn of our node (created by <see cref="EnqueueAsync"/>): true once it holds, false when the
    /// request's wait ran out first. <paramref name="children"/> are the parent's children read with the create, if any.
    /// </summary>
    /// <param name="request">The acquire: its wait, and whether its node is shared.</param>
    /// <param name="children">The children read behind the create; null reads them first.</param>
    /// <param name="inLineOrder">The contenders among the children, in line order; other children are left out.</param>
    /// <param name="releasesAreMarked">
    /// True when a holder's release marks its node before deleting it, so a data change of an exclusive node we watch is its
    /// release. False in an election, where a leader's data changes when it proclaims a value.
    /// </param>
    /// <param name="kind">"Lock", "Reader-writer lock": what the errors call the name.</param>
    /// <param name="backend">The provider's backend name, for errors.</param>
    /// <param name="endpoint">The provider's endpoint, for errors.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="LockException">Our node disappeared, or the session ended, while waiting.</exception>
    public async Task<bool> WaitForTurnAsync(LockRequest request, IReadOnlyList<string>? children, Func<IReadOnlyList<string>, IReadOnlyList<ZooKeeperContender>> inLineOrder, bool releasesAreMarked, string kind, string backend, string endpoint, CancellationToken cancellationToken)
    {
        var client = Session.Client;
        var ourPath = Path!;
        var ourName = ourPath[(ourPath.LastIndexOf('/') + 1)..];
        while (true)
        {
            if (children is null)
            {
                _metrics.Request("acquire");
                children = (await RetryAsync(() => client.GetChildrenAsync(_parent, cancellationToken: cancellationToken), _time, _logger, cancellationToken).ConfigureAwait(false)).Children;
            }
            var line = inLineOrder(children);
            children = null;
            var place = IndexOf(line, ourName);
            if (place < 0)
                throw new LockException($"{kind} '{request.Name}': our queue node {ourPath} disappeared while waiting (deleted by someone else, or the session ended).", request.Name, backend, endpoint);
            var blocker = line[place].IsExclusive ? place - 1 : LastExclusiveBefore(line, place);
            if (blocker < 0)
                return true;
            if (request.WaitExpired)
                return false;

            var blockerFirst = blocker == 0;
            var woken = new TaskCompletionSource<ZooKeeperEventType>(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                _metrics.Request("acquire");
                await RetryAsync(() => client.GetDataAsync($"{_parent}/{line[blocker].Child}", e => woken.TrySetResult(e.Type), cancellationToken), _time, _logger, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                if (blockerFirst)
                    return true;
                continue;
            }
            ZooKeeperEventType change;
            try
            {
                change = await woken.Task.WaitAsync(request.NextWakeUp(WatchFallback), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (request.WaitExpired)
            {
                return false;
            }
            catch (TimeoutException)
            {
                continue; // look again; the watch stays registered and may still fire
            }
            if (change == ZooKeeperEventType.None)
                throw new LockException($"{kind} '{request.Name}': the ZooKeeper session ended while waiting.", request.Name, backend, endpoint);
            if ((change == ZooKeeperEventType.NodeDataChanged && releasesAreMarked && line[blocker].IsExclusive) || (change == ZooKeeperEventType.NodeDeleted && blockerFirst))
                return true;
        }
    }

    private static int IndexOf(IReadOnlyList<ZooKeeperContender> line, string child)
    {
        for (var i = 0; i < line.Count; i++)
        {
            if (line[i].Child == child)
                return i;
        }
        return -1;
    }

    private static int LastExclusiveBefore(IReadOnlyList<ZooKeeperContender> line, int place)
    {
        for (var i = place - 1; i >= 0; i--)
        {
            if (line[i].IsExclusive)
                return i;
        }
        return -1;
    }

    /// <summary>Deletes the node, if it was created, with a plain delete: whoever watches it reads the line again rather than taking our leaving for a release.</summary>
    public async Task AbandonAsync(CancellationToken cancellationToken)
    {
        var node = Path;
        if (node is null && _create is { } create)
        {
            try
            {
                node = (await create.WaitAsync(cancellationToken).ConfigureAwait(false)).Path;
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                node = (await FindOwnAsync(cancellationToken).ConfigureAwait(false))?.Path;
            }
            catch (ZooKeeperException)
            {
                return; // the create failed, so there is nothing to delete
            }
        }
        if (node is not null)
            await DeleteUntilGoneAsync(Session, node, _metrics, _time, _logger).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(string Path, long Czxid)?> FindOwnAsync(CancellationToken cancellationToken)
    {
        _metrics.Request("acquire");
        foreach (var child in await ChildrenOrEmptyAsync(Session.Client, _parent, cancellationToken).ConfigureAwait(false))
        {
            if (!_isOurs(child))
                continue;
            _metrics.Request("acquire");
            if (await Session.Client.ExistsAsync($"{_parent}/{child}", cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return ($"{_parent}/{child}", stat.Czxid);
        }
        return null;
    }
}
