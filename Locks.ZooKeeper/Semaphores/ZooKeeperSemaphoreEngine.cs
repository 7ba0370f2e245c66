using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The engine of <see cref="ZooKeeperSemaphore"/>: its line of nodes, in the layout that class describes. Its releases go
/// unmarked: the one first in line, watching the leases, reads them again when a lease goes.
/// </summary>
/// <param name="options">The provider's validated options.</param>
/// <param name="provider">The provider's metrics, clock and logger.</param>
internal sealed class ZooKeeperSemaphoreEngine(ZooKeeperLockOptions options, HoldEngineServices provider) : ZooKeeperHoldEngine(options, "Semaphore", marksReleases: false, provider)
{
    // A watch is the wake-up; this only bounds how long a waiter trusts it before looking again.
    private static readonly TimeSpan WatchFallback = TimeSpan.FromSeconds(30);

    protected override async Task<LockGrant?> AcquireAsync(LockRequest request, ZooKeeperSession session, CancellationToken cancellationToken)
    {
        var client = session.Client;
        var paths = new ZooKeeperSemaphorePaths(Options.Root, request.Name, request.HolderToken);
        if (request.RemainingWait == TimeSpan.Zero)
        {
            // A try that may not wait costs two pipelined reads and leaves nothing behind when no permit is free.
            var (waiting, held) = await ReadLineAndLeasesAsync(client, paths, cancellationToken).ConfigureAwait(false);
            CheckMaxCount(request, waiting.Concat(held));
            if (waiting.Count > 0 || held.Count >= request.MaxHolders)
                return null;
        }

        var attempt = new Attempt(this, request, session, paths);
        request.Attempt = attempt;
        var (lineNode, line, leases) = await EnqueueAsync(attempt, cancellationToken).ConfigureAwait(false);
        if (line is null || leases is null)
            (line, leases) = await ReadLineAndLeasesAsync(client, paths, cancellationToken).ConfigureAwait(false);
        var ourName = NodeName(lineNode);
        var queue = ZooKeeperLockPaths.InQueueOrder(line);
        var place = queue.IndexOf(ourName);
        // Everyone ahead in line and every holder uses the name now: they decide the count.
        CheckMaxCount(request, queue.Take(Math.Max(place, 0)).Concat(leases));
        // Read after we were first in line, the leases can only have shrunk since: nobody else adds one now.
        var leasesWhenFirst = place == 0 ? leases : null;
        while (place != 0)
        {
            if (place < 0)
                throw new LockException($"Semaphore '{request.Name}': our place in line {lineNode} disappeared while waiting (deleted by someone else, or the session ended).", request.Name, Backend, Endpoint);
            if (request.WaitExpired)
                return null;
            if (await WaitForPredecessorAsync(client, request, paths.Line, queue[place - 1], predecessorWasFirst: place == 1, cancellationToken).ConfigureAwait(false))
                break;
            Metrics.Request("acquire");
            queue = ZooKeeperLockPaths.InQueueOrder((await RetryAsync(() => client.GetChildrenAsync(paths.Line, cancellationToken: cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false)).Children);
            place = queue.IndexOf(ourName);
        }
        if (request.WaitExpired && (leasesWhenFirst is null || leasesWhenFirst.Count >= request.MaxHolders))
            return null;

        var (leaseNode, fence) = await AddLeaseAsync(attempt, cancellationToken).ConfigureAwait(false);
        if (!await WaitForRoomAsync(client, request, paths, NodeName(leaseNode), attempt.LeaseChange, cancellationToken).ConfigureAwait(false))
            return null;

        // Held: leave the line, so the next in line may add its lease.
        try
        {
            Metrics.Request("acquire");
            await client.DeleteAsync(lineNode, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
        }
        catch (ZooKeeperException ex) when (IsTransient(ex))
        {
            _ = DeleteUntilGoneAsync(session, lineNode, Metrics, Time, Logger);
        }
        var hold = Holds.Start(request, leaseNode, session);
        attempt.Granted = true;
        return new LockGrant(fence, hold.StartedTimestamp, hold.Lost);
    }

    /// <summary>
    /// Waits until the node before ours in line changes. True when we are first in line now: the
    /// predecessor was first, and nodes are only ever added behind ours, so once it is gone nobody is
    /// ahead. False when the line must be read again.
    /// </summary>
    private async Task<bool> WaitForPredecessorAsync(ZooKeeperClient client, LockRequest request, string line, string predecessor, bool predecessorWasFirst, CancellationToken cancellationToken)
    {
        var woken = new TaskCompletionSource<ZooKeeperEventType>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            Metrics.Request("acquire");
            await RetryAsync(() => client.GetDataAsync($"{line}/{predecessor}", e => woken.TrySetResult(e.Type), cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return predecessorWasFirst;
        }
        var change = await ChangeOrNoneAsync(woken.Task, request, cancellationToken).ConfigureAwait(false);
        return change == ZooKeeperEventType.NodeDeleted && predecessorWasFirst;
    }

    /// <summary>
    /// Waits, first in line with our lease added, until <c>leases/</c> has at most max-count children,
    /// Curator's rule: every lease but ours was granted before we were first, so then ours is one of at
    /// most max count. False when the wait ran out first.
    /// </summary>
    private async Task<bool> WaitForRoomAsync(ZooKeeperClient client, LockRequest request, ZooKeeperSemaphorePaths paths, string ourLease, (IReadOnlyList<string>? Holders, Task<ZooKeeperEventType>? Change) read, CancellationToken cancellationToken)
    {
        var (holders, change) = read;
        while (true)
        {
            if (holders is null || change is null)
            {
                var woken = new TaskCompletionSource<ZooKeeperEventType>(TaskCreationOptions.RunContinuationsAsynchronously);
                Metrics.Request("acquire");
                holders = (await RetryAsync(() => client.GetChildrenAsync(paths.Leases, e => woken.TrySetResult(e.Type), cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false)).Children;
                change = woken.Task;
            }
            if (!holders.Contains(ourLease))
                throw new LockException($"Semaphore '{request.Name}': our lease {paths.Leases}/{ourLease} disappeared while waiting for a free permit (deleted by someone else, or the session ended).", request.Name, Backend, Endpoint);
            if (holders.Count <= request.MaxHolders)
                return true;
            if (request.WaitExpired)
                return false;
            await ChangeOrNoneAsync(change, request, cancellationToken).ConfigureAwait(false);
            holders = null;
        }
    }

    /// <summary>The watched event, or None when the wait ran out or the watch is not trusted any longer; throws when the session ended.</summary>
    private async Task<ZooKeeperEventType?> ChangeOrNoneAsync(Task<ZooKeeperEventType> change, LockRequest request, CancellationToken cancellationToken)
    {
        ZooKeeperEventType type;
        try
        {
            type = await change.WaitAsync(request.NextWakeUp(WatchFallback), Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null; // look again; the watch stays registered and may still fire
        }
        if (type == ZooKeeperEventType.None)
            throw new LockException($"Semaphore '{request.Name}': the ZooKeeper session ended while waiting.", request.Name, Backend, Endpoint);
        return type;
    }

    /// <summary>
    /// Creates our place in line with the line and the leases read pipelined behind it, making the root
    /// and the containers when missing. A create whose reply was lost may have happened: we look for our
    /// guid before trying again. The reads are null when they must be taken again.
    /// </summary>
    private async Task<(string Node, IReadOnlyList<string>? Line, IReadOnlyList<string>? Leases)> EnqueueAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        var client = attempt.Session.Client;
        var paths = attempt.Paths;
        while (true)
        {
            // The create is not cancelled with the caller: if it went out, its reply tells the clean-up which node to delete.
            Metrics.Request("acquire");
            var create = client.CreateAsync(paths.LineCreatePath(attempt.Request.MaxHolders), [], ZooKeeperCreateMode.EphemeralSequential, CancellationToken.None);
            attempt.LineCreate = create;
            var reads = ReadLineAndLeasesAsync(client, paths, cancellationToken);
            try
            {
                var created = await create.WaitAsync(cancellationToken).ConfigureAwait(false);
                attempt.LineNode = created.Path;
                try
                {
                    var (line, leases) = await reads.ConfigureAwait(false);
                    return (created.Path, line, leases);
                }
                catch (ZooKeeperException ex) when (IsTransient(ex))
                {
                    return (created.Path, null, null);
                }
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                Observe(reads);
                await Root.CreateAsync(client, Metrics, paths.Containers, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Observe(reads);
                if (await RetryAsync(() => FindOwnAsync(client, paths.Line, paths, cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false) is { } ours)
                {
                    attempt.LineNode = ours.Path;
                    return (ours.Path, null, null);
                }
            }
            catch
            {
                Observe(reads);
                throw;
            }
        }
    }

    /// <summary>
    /// Adds our lease (first in line), with the leases read and watched pipelined behind it, making the
    /// containers when the server removed them meanwhile. A create whose reply was lost may have
    /// happened: we look for our guid before trying again.
    /// </summary>
    private async Task<(string Node, long Czxid)> AddLeaseAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        var client = attempt.Session.Client;
        var paths = attempt.Paths;
        while (true)
        {
            Metrics.Request("acquire");
            var create = client.CreateAsync(paths.LeaseCreatePath(attempt.Request.MaxHolders), [], ZooKeeperCreateMode.EphemeralSequential, CancellationToken.None);
            attempt.LeaseCreate = create;
            var woken = new TaskCompletionSource<ZooKeeperEventType>(TaskCreationOptions.RunContinuationsAsynchronously);
            Metrics.Request("acquire");
            var read = client.GetChildrenAsync(paths.Leases, e => woken.TrySetResult(e.Type), cancellationToken);
            try
            {
                var created = await create.WaitAsync(cancellationToken).ConfigureAwait(false);
                attempt.LeaseNode = created.Path;
                try
                {
                    attempt.LeaseChange = ((await read.ConfigureAwait(false)).Children, woken.Task);
                }
                catch (ZooKeeperException ex) when (IsTransient(ex))
                {
                    attempt.LeaseChange = (null, null);
                }
                return (created.Path, created.Stat.Czxid);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                Observe(read);
                await Root.CreateAsync(client, Metrics, paths.Containers, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Observe(read);
                if (await RetryAsync(() => FindOwnAsync(client, paths.Leases, paths, cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false) is { } ours)
                {
                    attempt.LeaseNode = ours.Path;
                    attempt.LeaseChange = (null, null);
                    return ours;
                }
            }
            catch
            {
                Observe(read);
                throw;
            }
        }
    }

    /// <summary>The line, then the leases, pipelined in that order: a node that leaves the line has added its lease before, so neither read misses it.</summary>
    private async Task<(IReadOnlyList<string> Line, IReadOnlyList<string> Leases)> ReadLineAndLeasesAsync(ZooKeeperClient client, ZooKeeperSemaphorePaths paths, CancellationToken cancellationToken)
    {
        Metrics.Request("acquire");
        var line = ChildrenOrEmptyAsync(client, paths.Line, cancellationToken);
        Metrics.Request("acquire");
        var leases = ChildrenOrEmptyAsync(client, paths.Leases, cancellationToken);
        await Task.WhenAll(line, leases).ConfigureAwait(false);
        return (line.Result, leases.Result);
    }

    private void CheckMaxCount(LockRequest request, IEnumerable<string> inUse)
    {
        foreach (var child in inUse)
        {
            if (ZooKeeperSemaphorePaths.MaxCountOf(child) is { } active && active != request.MaxHolders)
                throw new SemaphoreCountMismatchException(request.Name, Backend, Endpoint, request.MaxHolders, active);
        }
    }

    private async Task<(string Path, long Czxid)?> FindOwnAsync(ZooKeeperClient client, string parent, ZooKeeperSemaphorePaths paths, CancellationToken cancellationToken)
    {
        foreach (var child in await ChildrenOrEmptyAsync(client, parent, cancellationToken).ConfigureAwait(false))
        {
            if (!paths.IsOurs(child))
                continue;
            Metrics.Request("acquire");
            if (await client.ExistsAsync($"{parent}/{child}", cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return ($"{parent}/{child}", stat.Czxid);
        }
        return null;
    }

    private static string NodeName(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>The lease of <paramref name="holderToken"/> when it holds a permit: a lease whose owner is still in line waits for room and holds nothing yet.</summary>
    protected override async Task<string?> FindHeldNodeAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var paths = new ZooKeeperSemaphorePaths(Options.Root, name, holderToken);
        var client = (await Sessions.GetAsync(Options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;
        var (line, leases) = await ReadLineAndLeasesAsync(client, paths, cancellationToken).ConfigureAwait(false);
        var lease = leases.FirstOrDefault(paths.IsOurs);
        return lease is null || line.Any(paths.IsOurs) ? null : $"{paths.Leases}/{lease}";
    }

    /// <summary>What one acquire has created so far: its place in line and its lease, each known once its create replied.</summary>
    private sealed class Attempt(ZooKeeperSemaphoreEngine owner, LockRequest request, ZooKeeperSession session, ZooKeeperSemaphorePaths paths) : LockAttempt
    {
        public LockRequest Request => request;
        public ZooKeeperSession Session => session;
        public ZooKeeperSemaphorePaths Paths => paths;
        public Task<ZooKeeperCreated>? LineCreate { get; set; }
        public string? LineNode { get; set; }
        public Task<ZooKeeperCreated>? LeaseCreate { get; set; }
        public string? LeaseNode { get; set; }

        /// <summary>The leases read behind our lease's create and its watch; nulls when they must be read again.</summary>
        public (IReadOnlyList<string>? Holders, Task<ZooKeeperEventType>? Change) LeaseChange { get; set; }

        public volatile bool Granted;

        protected internal override async Task AbandonAsync(CancellationToken cancellationToken)
        {
            if (Granted)
                owner.Holds.Abandon(request.HolderToken);
            // The lease first, then the place in line, as Curator does: whoever is first in line next never counts a lease that will not be held.
            if (await NodeOfAsync(LeaseNode, LeaseCreate, paths.Leases, cancellationToken).ConfigureAwait(false) is { } lease)
                await DeleteUntilGoneAsync(session, lease, owner.Metrics, owner.Time, owner.Logger).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (await NodeOfAsync(LineNode, LineCreate, paths.Line, cancellationToken).ConfigureAwait(false) is { } place)
                await DeleteUntilGoneAsync(session, place, owner.Metrics, owner.Time, owner.Logger).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        private async Task<string?> NodeOfAsync(string? known, Task<ZooKeeperCreated>? create, string parent, CancellationToken cancellationToken)
        {
            if (known is not null || create is null)
                return known;
            try
            {
                return (await create.WaitAsync(cancellationToken).ConfigureAwait(false)).Path;
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                return (await owner.FindOwnAsync(session.Client, parent, paths, cancellationToken).ConfigureAwait(false))?.Path;
            }
            catch (ZooKeeperException)
            {
                return null; // the create failed, so there is nothing to delete
            }
        }
    }
}
