using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The engine of <see cref="ZooKeeperReaderWriterLock"/>: its line of nodes, in the layout that class describes. Its releases
/// are marked: a waiter that watched a released node holds without reading the line again.
/// </summary>
/// <param name="options">The provider's validated options.</param>
/// <param name="provider">The provider's metrics, clock and logger.</param>
internal sealed class ZooKeeperReaderWriterEngine(ZooKeeperLockOptions options, HoldEngineServices provider) : ZooKeeperHoldEngine(options, "Reader-writer lock", marksReleases: true, provider)
{
    protected override async Task<LockGrant?> AcquireAsync(LockRequest request, ZooKeeperSession session, CancellationToken cancellationToken)
    {
        var client = session.Client;
        var paths = new ZooKeeperReaderWriterPaths(Options.Root, request.Name, request.HolderToken);
        if (request.RemainingWait == TimeSpan.Zero)
        {
            // A try that may not wait costs one read and leaves nothing behind when it would have to wait:
            // a reader fits while no writer holds or waits, a writer only while nobody does.
            Metrics.Request("acquire");
            var line = ZooKeeperReaderWriterPaths.InLineOrder(await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false));
            if (request.IsShared ? line.Exists(c => c.IsExclusive) : line.Count > 0)
                return null;
        }

        var node = new ZooKeeperQueueNode(session, paths.Parent, paths.CreatePath(request.IsShared), paths.IsOurs, Root, Metrics, Time, Logger);
        var attempt = new Attempt(this, request, node);
        request.Attempt = attempt;
        var (path, fence, children) = await node.EnqueueAsync([], cancellationToken).ConfigureAwait(false);
        return await node.WaitForTurnAsync(request, children, ZooKeeperReaderWriterPaths.InLineOrder, releasesAreMarked: true, "Reader-writer lock", Backend, Endpoint, cancellationToken).ConfigureAwait(false)
            ? Grant(request, attempt, path, fence)
            : null;
    }

    private LockGrant Grant(LockRequest request, Attempt attempt, string node, long fence)
    {
        var hold = Holds.Start(request, node, attempt.Node.Session);
        attempt.Node.Granted = true;
        return new LockGrant(fence, hold.StartedTimestamp, hold.Lost);
    }

    /// <summary>The node of <paramref name="holderToken"/> when it holds: a node still waiting in line holds nothing yet.</summary>
    protected override async Task<string?> FindHeldNodeAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var paths = new ZooKeeperReaderWriterPaths(Options.Root, name, holderToken);
        var client = (await Sessions.GetAsync(Options.DefaultTtl, name, cancellationToken).ConfigureAwait(false)).Client;
        Metrics.Request("lookup");
        var line = ZooKeeperReaderWriterPaths.InLineOrder(await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false));
        var held = line.Take(ZooKeeperReaderWriterPaths.Holders(line)).FirstOrDefault(c => paths.IsOurs(c.Child));
        return held.Child is null ? null : paths.ChildPath(held.Child);
    }

    /// <summary>An acquire's node, deleted when the acquire ends without a grant (or the grant is abandoned).</summary>
    private sealed class Attempt(ZooKeeperReaderWriterEngine owner, LockRequest request, ZooKeeperQueueNode node) : LockAttempt
    {
        public ZooKeeperQueueNode Node => node;

        protected internal override Task AbandonAsync(CancellationToken cancellationToken)
        {
            if (node.Granted)
                owner.Holds.Abandon(request.HolderToken);
            return node.AbandonAsync(cancellationToken);
        }
    }
}
