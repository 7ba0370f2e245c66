using System.Runtime.CompilerServices;
using System.Text;
using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using static Coord.Locks.ZooKeeper.ZooKeeperCalls;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Leader elections on a ZooKeeper ensemble with the node layout of Apache Curator's <c>LeaderLatch</c>, so a Java
/// service running a LeaderLatch on the path <see cref="PathOf"/> takes part in the same election as Coord's campaigns.
/// </summary>
/// <remarks>
/// <para>
/// Election <c>E</c> lives at <c>&lt;Root&gt;/&lt;encoded E&gt;</c> (encoded as a lock name). A candidate creates an
/// ephemeral sequential child named as Curator's protected latch nodes, <c>_c_&lt;guid&gt;-latch-NNNNNNNNNN</c>, whose
/// data is its value (Curator's participant id). The lowest sequence number leads; every other candidate watches only
/// the node just before its own. That is <see cref="ZooKeeperLock"/>'s queue with another node name and data on the
/// node, so a campaign runs through it (long-lived sessions, pipelined create and read, each hold's TTL kept by this
/// process, withdrawal), with one difference: a change of the predecessor's data is a leader proclaiming, not a hand-off.
/// </para>
/// <para>
/// The term is the leader node's <c>czxid</c>: the leader is the oldest candidate, candidates only leave, and every node
/// created later has a higher zxid, so each new leader's node is newer than every earlier leader's. Unlike the sequence
/// number, the zxid keeps rising when the server removes the empty election node and it is created again.
/// </para>
/// <para>
/// A leader hears <see cref="ILeadership.Lost"/> before anyone else can be elected in its place by the server: its
/// session stops vouching for itself (and so for its leaderships) a margin before the server could expire it, and a
/// leadership nobody renewed in time is ended here before this process deletes its node.
/// </para>
/// </remarks>
public sealed class ZooKeeperLeaderElection : LeaderElectionProvider
{
    // A watch is the wake-up; this only bounds how long an observer trusts it before reading again.
    private static readonly TimeSpan WatchFallback = TimeSpan.FromSeconds(30);

    private readonly ZooKeeperLock _queue;
    private readonly string _root;

    /// <summary>Creates the provider. It connects on first use, so an unreachable ensemble shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Ensemble, root path and session settings, as for <see cref="ZooKeeperLock"/>; validated here. Election <c>E</c> lives at <c>&lt;Root&gt;/&lt;encoded E&gt;</c>, beside a lock of that name without touching it.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public ZooKeeperLeaderElection(ZooKeeperLockOptions options, ILogger<ZooKeeperLeaderElection>? logger = null)
        : base(options, logger)
    {
        _queue = new ZooKeeperLock(options, logger, ZooKeeperLockPaths.LatchMarker, "Election");
        _root = options.Root;
        Endpoint = _queue.Endpoint;
    }

    /// <inheritdoc/>
    public override string Backend => "zookeeper";

    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>As <see cref="ZooKeeperLock.MinimumTtl"/>: a leadership lives on a session at least that long.</summary>
    public override TimeSpan MinimumTtl => _queue.MinimumTtl;

    /// <summary>The ZooKeeper path of <paramref name="election"/>: what a Curator <c>LeaderLatch</c> must be given to take part.</summary>
    /// <param name="election">The Coord election name.</param>
    /// <returns><c>&lt;Root&gt;/&lt;encoded election&gt;</c>.</returns>
    public string PathOf(string election) => new ZooKeeperLockPaths(_root, election, "-", ZooKeeperLockPaths.LatchMarker).Parent;

    /// <inheritdoc/>
    protected override Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
        => _queue.CampaignAsync(request, Encoding.UTF8.GetBytes(value), cancellationToken);

    /// <inheritdoc/>
    protected override Task AbandonCampaignAsync(LockRequest request, CancellationToken cancellationToken)
        => _queue.WithdrawAsync(request, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _queue.RenewHoldAsync(election, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
        => _queue.ReleaseHoldAsync(election, holderToken, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// A <c>setData</c> on the leader's own node. Sequential names are never reused, so the node at that path is the one this
    /// leadership created or none: the write lands only while it still leads. A leadership held through another client
    /// cannot proclaim (its TTL is kept there), as it cannot renew. A Curator LeaderLatch waiting directly behind the
    /// leader acts only on the deletion of the node it watches, so the data change uses up its one-shot watch: it is
    /// elected only after its next reconnect. Proclaim in elections that Curator latches share only when none can be next.
    /// </remarks>
    protected override async Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
    {
        if (_queue.LocalHold(election, holderToken) is not { } hold || hold.Lost.IsCancellationRequested)
            return false;
        try
        {
            await hold.Session.Client.MultiAsync([ZooKeeperOperation.SetData(hold.NodePath, Encoding.UTF8.GetBytes(value))], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return false; // taken away: the next renewal finds the node gone and fires Lost
        }
    }

    /// <inheritdoc/>
    protected override async Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
    {
        var client = await _queue.ReaderAsync(election, cancellationToken).ConfigureAwait(false);
        var parent = PathOf(election);
        var children = await RetryAsync(() => ChildrenOrEmptyAsync(client, parent, cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false);
        return await RetryAsync(() => LeaderAsync(client, election, parent, children, null, cancellationToken), Time, Logger, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Each round reads the candidates with a child watch and the leader's node with a data watch, reports the leader, and
    /// waits for either watch (a candidate joined or left, or the leader proclaimed). While the election node does not exist
    /// an exists watch waits for its creation. A session that ends fires the watches too; the next round takes the pool's
    /// new session.
    /// </remarks>
    protected override async IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parent = PathOf(election);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Wake(ZooKeeperWatchedEvent _) => changed.TrySetResult();
            ElectionLeader? leader = null;
            try
            {
                var client = await _queue.ReaderAsync(election, cancellationToken).ConfigureAwait(false);
                try
                {
                    var children = (await client.GetChildrenAsync(parent, Wake, cancellationToken).ConfigureAwait(false)).Children;
                    leader = await LeaderAsync(client, election, parent, children, Wake, cancellationToken).ConfigureAwait(false);
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
                {
                    if (await client.ExistsAsync(parent, Wake, cancellationToken).ConfigureAwait(false) is not null)
                        continue; // created meanwhile: read it
                }
            }
            catch (ZooKeeperException ex) when (IsTransient(ex) || ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                Logger.LogDebug(ex, "Observing election {Election} on ZooKeeper: the connection moved; reading again", election);
                await Task.Delay(TimeSpan.FromMilliseconds(20), Time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (leader is not null)
                yield return leader;
            try
            {
                await changed.Task.WaitAsync(WatchFallback, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // read again; the watches stay registered and may still fire
            }
        }
    }

    /// <summary>The first candidate (by sequence number, as Curator sorts them) whose node still exists, with a data watch on it when <paramref name="watch"/> is given.</summary>
    private static async Task<ElectionLeader?> LeaderAsync(ZooKeeperClient client, string election, string parent, IReadOnlyList<string> children, Action<ZooKeeperWatchedEvent>? watch, CancellationToken cancellationToken)
    {
        foreach (var child in ZooKeeperLockPaths.InQueueOrder(children, ZooKeeperLockPaths.LatchMarker))
        {
            try
            {
                var node = await client.GetDataAsync($"{parent}/{child}", watch, cancellationToken).ConfigureAwait(false);
                return new ElectionLeader(election, Encoding.UTF8.GetString(node.Data), node.Stat.Czxid);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                // gone since the children were read: the next one leads
            }
        }
        return null;
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync() => await _queue.DisposeAsync().ConfigureAwait(false);
}
