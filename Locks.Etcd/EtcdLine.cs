using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// What every etcd primitive built on a line of keys shares (<see cref="EtcdLock"/>, <see cref="EtcdSemaphore"/>, <see cref="EtcdReaderWriterLock"/>):
/// each acquire puts one key under the name's prefix, on a session lease; create revision is the place in
/// line; the first <see cref="LockRequest.MaxHolders"/> keys by create revision hold (one for a lock), and
/// the holder's create revision is its fencing token. The connection, watch stream, session pool and queue
/// watches of one provider, the holds it knows, the wait for a turn, the deadline of an unrenewed hold,
/// and renew and release by holder token live here once; a primitive supplies its key layout and the
/// transaction that puts its key.
/// </summary>
/// <remarks>
/// A waiter reads, in the transaction that puts its key at revision R, every key created before its own;
/// keys created later sort after it, so the line ahead can only shrink. It then waits on the name's queue
/// watch (<see cref="EtcdQueueWatches"/>) until fewer than <see cref="LockRequest.MaxHolders"/> of those
/// keys are left, with no further read. Because a key holds exactly when fewer than that many keys precede
/// it, holders are always the oldest keys, and a key admitted later was created later: fencing tokens rise
/// in the order grants happen, whichever holder leaves. A line may narrow which earlier keys keep a hold out
/// (<see cref="Blocks"/>: a reader of <see cref="EtcdReaderWriterLock"/> waits only for the writers before it) and
/// how many of them may remain (<see cref="Admits"/>); a key admitted later still waits for a superset of what an
/// earlier one waits for, so tokens keep rising in grant order.
/// </remarks>
internal abstract class EtcdLine : IAsyncDisposable
{
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(49);

    /// <summary>
    /// How long a waiter admitted by the end of another session (its lease revoked or expired, not a release)
    /// waits before it reports the grant. etcd tells the holder's process of the same revision on its own
    /// stream, through the marker watch every session keeps, at the same moment; this covers the delivery and
    /// dispatch of that event there, so the holder fires <c>Lost</c> before the lock is granted here. It is
    /// short enough that a crashed holder's locks still come free within its session TTL and a second.
    /// </summary>
    internal static readonly TimeSpan SessionEndGrace = TimeSpan.FromMilliseconds(250);

    private readonly EtcdWatchStream _watches;
    private readonly EtcdSessionPool _sessions;
    private readonly EtcdQueueWatches _queues;
    private readonly ConcurrentDictionary<string, EtcdHold> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ByteString, EtcdHold> _holdsByKey = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly Action<EtcdHold> _expireHold;

    /// <param name="options">The provider's validated options.</param>
    /// <param name="endpoint">The endpoints as the provider names them in errors.</param>
    /// <param name="metrics">Where every request is counted: the provider's.</param>
    /// <param name="logger">The provider's logger.</param>
    protected EtcdLine(EtcdLockOptions options, string endpoint, LockMetrics metrics, ILogger logger)
    {
        Options = options;
        Endpoint = endpoint;
        Time = options.TimeProvider;
        Logger = logger;
        Connection = new EtcdConnection(options, endpoint, metrics, logger);
        _watches = new EtcdWatchStream(Connection, options.AttemptTimeout * 2, Time, logger);
        _queues = new EtcdQueueWatches(_watches, Time, options.Prefix, OnKeyDeleted);
        _sessions = new EtcdSessionPool(Connection, _watches, options, logger, id => ByteString.CopyFromUtf8(EtcdLockKeys.SessionMarker(options.Prefix, id)));
        _expireHold = h => _ = ExpireAsync(h);
    }

    public EtcdConnection Connection { get; }

    /// <summary>The line's one watch stream, for an election's observers.</summary>
    public EtcdWatchStream Watches => _watches;

    protected EtcdLockOptions Options { get; }

    protected string Endpoint { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>The whole seconds an etcd lease gets for <paramref name="ttl"/>: rounded up, at least 1.</summary>
    public static long LeaseSeconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));

    /// <summary>The keys of <paramref name="name"/>'s line.</summary>
    protected abstract EtcdLockKeys KeysOf(string name);

    /// <summary>The key the hold of <paramref name="request"/> puts in the line of <paramref name="keys"/>, on the lease <paramref name="leaseId"/>.</summary>
    protected abstract ByteString HoldKey(LockRequest request, EtcdLockKeys keys, long leaseId);

    /// <summary>
    /// How many of the keys that block a hold (<see cref="Blocks"/>) may still be ahead of it when it holds:
    /// the request's <see cref="LockRequest.MaxHolders"/> (1 for a lock, the max count for a semaphore).
    /// </summary>
    protected virtual int Admits(LockRequest request) => request.MaxHolders;

    /// <summary>
    /// Whether <paramref name="ahead"/>, a key created before the key of <paramref name="hold"/>, keeps it
    /// waiting: every key does, except where a line lets some kinds of hold share (a reader behind readers).
    /// </summary>
    protected virtual bool Blocks(EtcdHold hold, ByteString ahead) => true;

    /// <summary>
    /// Puts the hold's key (or, sent again after a lost answer, finds it) and reads the line, in one
    /// transaction; sets <see cref="EtcdHold.CreateRevision"/>. By default: put our key if it is absent,
    /// and read every key of the line in creation order (etcd's mutex).
    /// </summary>
    protected virtual async Task<Queued> EnqueueAsync(LockRequest request, EtcdHold hold, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(PutOwnKey(hold));
        txn.Success.Add(ReadLine(hold.Keys));
        // A transaction sent again after a lost answer finds our key: read it to learn its revision.
        txn.Failure.Add(ReadOwnKey(hold));
        txn.Failure.Add(ReadLine(hold.Keys));

        var response = await Connection.SendAsync("acquire", ct => Connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Succeeded
            ? Put(hold, response.Header.Revision, response.Responses[1].ResponseRange)
            : Found(hold, response.Header.Revision, response.Responses[0].ResponseRange, response.Responses[1].ResponseRange);
    }

    /// <summary>Sends the delete of our own key (release, abandon); true when it deleted it.</summary>
    protected virtual async Task<bool> SendDeleteOwnKeyAsync(EtcdHold hold, string operation, CancellationToken cancellationToken)
        => (await Connection.SendAsync(operation, ct => Connection.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = hold.Key }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false)).Deleted > 0;

    /// <summary>Where one transaction left us: the revision it read at, and the keys created before ours that were still there.</summary>
    protected internal readonly record struct Queued(long Revision, IReadOnlyList<ByteString> Ahead);

    private enum Turn
    {
        Held,
        WaitExpired,
        PlaceLost,
    }

    /// <summary>Gets a place in the line of <paramref name="request"/>'s name and waits for a turn, queueing again at the back if the place is lost.</summary>
    /// <param name="request">The acquire.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="value">What the key carries: null for the holder token; an election candidate's value.</param>
    public async Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken, ByteString? value = null)
    {
        var keys = KeysOf(request.Name);
        var willWait = request.RemainingWait != TimeSpan.Zero;
        var attempt = Track(request);
        while (true)
        {
            var hold = attempt.Hold = await NewHoldAsync(request, keys, value, cancellationToken).ConfigureAwait(false);
            Turn turn;
            // Joined before the enqueue transaction goes out, so no DELETE after it goes unseen.
            using (var place = _queues.Join(hold.Key))
            {
                var queued = await EnqueueAsync(request, hold, cancellationToken).ConfigureAwait(false);
                turn = queued.Ahead.Count < Admits(request) ? Turn.Held
                    : !willWait || request.WaitExpired ? Turn.WaitExpired
                    : await WaitForTurnAsync(request, hold, place, queued, cancellationToken).ConfigureAwait(false);
            }
            switch (turn)
            {
                case Turn.Held:
                    return await GrantAsync(request, hold).ConfigureAwait(false);
                case Turn.WaitExpired:
                    return null; // the provider's abandon step deletes our key
                default:
                    // Our place was lost while we waited (session lease revoked or expired in an outage,
                    // or our key deleted from outside): queue again on a live session, at the back.
                    Logger.LogInformation("Place in line for {Name} on etcd was lost while waiting; queueing again", request.Name);
                    attempt.Hold = null;
                    await ForgetAsync(hold).ConfigureAwait(false);
                    continue;
            }
        }
    }

    private async Task<EtcdHold> NewHoldAsync(LockRequest request, EtcdLockKeys keys, ByteString? value, CancellationToken cancellationToken)
    {
        EtcdHold hold;
        if (request.IsBareLease)
        {
            var own = await EtcdSession.StartAsync(Connection, _watches, Options, Logger, LeaseSeconds(request.Ttl), marker: null, cancellationToken).ConfigureAwait(false);
            hold = new EtcdHold(request.Name, request.HolderToken, keys, own, HoldKey(request, keys, own.LeaseId), value);
        }
        else
        {
            hold = await _sessions.ReserveAsync(LeaseSeconds(request.Ttl), s => new EtcdHold(request.Name, request.HolderToken, keys, s, HoldKey(request, keys, s.LeaseId), value), cancellationToken).ConfigureAwait(false);
        }
        _holds[request.HolderToken] = hold;
        _holdsByKey[hold.Key] = hold;
        return hold;
    }

    /// <summary>
    /// A queue watch saw <paramref name="key"/> deleted at <paramref name="revision"/> (or a read found it gone
    /// by then). If it is the key of one of our holds, created before <paramref name="createdBefore"/>, and we
    /// did not delete it ourselves, the hold is gone (its lease revoked or expired, or the key deleted from
    /// outside); it is told before any waiter of this provider learns of the same delete.
    /// </summary>
    private void OnKeyDeleted(ByteString key, long revision, long createdBefore)
    {
        if (_holdsByKey.TryGetValue(key, out var hold) && hold.CreateRevision is > 0 and var created && created < createdBefore && revision > created && !hold.Releasing)
            hold.MarkGone("its etcd key was deleted by someone else (its lease revoked or expired, or the key deleted from outside)");
    }

    /// <summary>What a queue watch reports: every DELETE under a line's prefix, whichever incarnation of the key it ended.</summary>
    private void OnKeyDeleted(ByteString key, long revision) => OnKeyDeleted(key, revision, long.MaxValue);

    /// <summary>Our key, put on its session lease with its value (the holder token, or an election candidate's value).</summary>
    protected static RequestOp PutOwnKey(EtcdHold hold) => new() { RequestPut = new PutRequest { Key = hold.Key, Value = hold.Value, Lease = hold.LeaseId } };

    /// <summary>Our key as it is now: what a transaction sent again after a lost answer reads to find its revision.</summary>
    protected static RequestOp ReadOwnKey(EtcdHold hold) => new() { RequestRange = new RangeRequest { Key = hold.Key } };

    /// <summary>Every key of the line, keys only, oldest first.</summary>
    protected static RequestOp ReadLine(EtcdLockKeys keys) => new() { RequestRange = Line(keys) };

    /// <summary>Compares true when no key of the line lies in [<paramref name="from"/>, <paramref name="to"/>) (etcd compares an empty range as one zero key).</summary>
    protected static Compare NoKeyBetween(ByteString from, ByteString to)
        => new() { Key = from, RangeEnd = to, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 };

    /// <summary>Where a transaction that put our key at <paramref name="revision"/> left us.</summary>
    protected Queued Put(EtcdHold hold, long revision, RangeResponse line)
    {
        hold.CreateRevision = revision;
        return new Queued(revision, Ahead(hold, line, revision));
    }

    /// <summary>Where a transaction that found our key already there (<paramref name="mine"/>) left us: a retry of our own put.</summary>
    /// <exception cref="InvalidOperationException">The key is missing or carries another token: it is not ours.</exception>
    protected Queued Found(EtcdHold hold, long revision, RangeResponse mine, RangeResponse line)
    {
        var own = mine.Kvs.FirstOrDefault();
        // The session reserves a key for one hold at a time, so a key with another value is not a retry of ours.
        if (own is null || own.Value != hold.Value)
            throw new InvalidOperationException($"etcd key {hold.Key.ToStringUtf8()} belongs to another hold; it vanished or changed while this one was being queued.");
        hold.CreateRevision = own.CreateRevision;
        return new Queued(revision, Ahead(hold, line, own.CreateRevision));
    }

    /// <summary>The keys created before revision <paramref name="mine"/> that block <paramref name="hold"/>: the ones whose leaving lets that key in.</summary>
    private List<ByteString> Ahead(EtcdHold hold, RangeResponse line, long mine)
    {
        var ahead = new List<ByteString>(line.Kvs.Count);
        foreach (var kv in line.Kvs)
        {
            if (kv.CreateRevision < mine && Blocks(hold, kv.Key))
                ahead.Add(kv.Key);
        }
        return ahead;
    }

    /// <summary>
    /// Waits on the line's queue watch until fewer than <see cref="LockRequest.MaxHolders"/> keys are ahead of
    /// ours; reads the line again only when the watch cannot tell (etcd cancelled it) or a wait outlives the longest timer.
    /// </summary>
    private async Task<Turn> WaitForTurnAsync(LockRequest request, EtcdHold hold, EtcdQueueWatches.Waiter place, Queued queued, CancellationToken cancellationToken)
    {
        var (revision, ahead) = queued;
        var lastRead = ahead;
        while (true)
        {
            if (ahead is null)
            {
                var check = new TxnRequest();
                check.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = hold.Key, KeysOnly = true } });
                check.Success.Add(ReadLine(hold.Keys));
                var response = await Connection.SendAsync("acquire", ct => Connection.Kv.TxnAsync(check, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                if (response.Responses[0].ResponseRange.Kvs.Count == 0)
                    return Turn.PlaceLost;
                revision = response.Header.Revision;
                ahead = Ahead(hold, response.Responses[1].ResponseRange, hold.CreateRevision);
                // The watch did not report these deletes; a hold of ours among them is told first here instead.
                var unseen = lastRead.Except(ahead).ToList();
                foreach (var gone in unseen)
                    OnKeyDeleted(gone, revision, createdBefore: hold.CreateRevision);
                lastRead = ahead;
                if (ahead.Count < Admits(request))
                {
                    // A read cannot tell a release from the end of a session: wait as if a session ended.
                    return unseen.Count == 0 ? Turn.Held : await AfterSessionEndAsync(hold, cancellationToken).ConfigureAwait(false);
                }
            }

            var wait = place.WaitAsync(ahead, revision, Admits(request));
            using (hold.Session.Lost.UnsafeRegister(static s => ((EtcdQueueWatches.Waiter)s!).Stop(EtcdQueueTurn.SessionLost), place))
            {
                try
                {
                    // A timer counts at most about 49 days; a longer (or unbounded) wait looks again after that.
                    switch (await wait.WaitAsync(request.NextWakeUp(LongestTimer), Time, cancellationToken).ConfigureAwait(false))
                    {
                        case EtcdQueueTurn.Admitted:
                            return Turn.Held;
                        case EtcdQueueTurn.AdmittedAfterSessionEnd:
                            return await AfterSessionEndAsync(hold, cancellationToken).ConfigureAwait(false);
                        case EtcdQueueTurn.MustReread:
                            break;
                        default:
                            return Turn.PlaceLost;
                    }
                }
                catch (TimeoutException) when (request.WaitExpired)
                {
                    return Turn.WaitExpired;
                }
                catch (TimeoutException)
                {
                    place.Stop(EtcdQueueTurn.MustReread);
                }
            }
            ahead = null;
        }
    }

    /// <summary>Our turn came because another session ended: let its process hear of it first (<see cref="SessionEndGrace"/>).</summary>
    private async Task<Turn> AfterSessionEndAsync(EtcdHold hold, CancellationToken cancellationToken)
    {
        await Task.Delay(SessionEndGrace, Time, cancellationToken).ConfigureAwait(false);
        return hold.Session.IsLost ? Turn.PlaceLost : Turn.Held;
    }

    private async Task<LockGrant> GrantAsync(LockRequest request, EtcdHold hold)
    {
        if (request.IsBareLease)
        {
            // Nothing renews a bare lease in this process: stop keeping its lease alive and let it be
            // found by token, like one taken by another client.
            await hold.Session.DetachAsync().ConfigureAwait(false);
            _holds.TryRemove(new KeyValuePair<string, EtcdHold>(hold.HolderToken, hold));
            _holdsByKey.TryRemove(new KeyValuePair<ByteString, EtcdHold>(hold.Key, hold));
            return new LockGrant(hold.CreateRevision, hold.Session.RefreshedTimestamp);
        }
        var now = Time.GetTimestamp();
        hold.Granted(now, request.Ttl, Time, _expireHold);
        return new LockGrant(hold.CreateRevision, now, hold.Gone);
    }

    /// <summary>A hold nobody renewed by its deadline: this process deletes its key, as etcd would have with a lease of its own.</summary>
    private async Task ExpireAsync(EtcdHold hold)
    {
        hold.MarkGone("it was not renewed by its deadline");
        Logger.LogInformation("{Name} on etcd was not renewed within its TTL; deleting its key", hold.Name);
        // Only while the key is still this hold's: a release racing the deadline may have let a later
        // hold of the same name on the same session create the same key again.
        var expire = new TxnRequest();
        expire.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = hold.CreateRevision });
        expire.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = hold.Key } });
        while (!hold.Session.IsLost && !_disposing.IsCancellationRequested)
        {
            try
            {
                await Connection.SendAsync("expire", ct => Connection.Kv.TxnAsync(expire, cancellationToken: ct).ResponseAsync, _disposing.Token).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (!_disposing.IsCancellationRequested)
            {
                Logger.LogWarning(ex, "Deleting the expired etcd key of {Name} failed; retrying", hold.Name);
                await Task.Delay(TimeSpan.FromMilliseconds(200), Time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await ForgetAsync(hold).ConfigureAwait(false);
    }

    /// <summary>Deletes our key: one request. The session lets no other hold use this key until we forget ours, so the key is ours or gone.</summary>
    private Task<bool> DeleteOwnKeyAsync(EtcdHold hold, string operation, CancellationToken cancellationToken)
    {
        hold.Releasing = true;
        return SendDeleteOwnKeyAsync(hold, operation, cancellationToken);
    }

    private async Task ForgetAsync(EtcdHold hold)
    {
        _holds.TryRemove(new KeyValuePair<string, EtcdHold>(hold.HolderToken, hold));
        _holdsByKey.TryRemove(new KeyValuePair<ByteString, EtcdHold>(hold.Key, hold));
        hold.Session.Unreserve(hold);
        hold.Dispose();
        if (hold.Session.IsDedicated)
            await hold.Session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sets <paramref name="request"/>'s attempt to its place in this line, so that the provider gives the place up
    /// through the line (<see cref="AbandonAsync"/>) when the acquire ends without a grant: a release by token would
    /// first have to look the key up, a request even when nothing was queued (an unreachable cluster would then hold
    /// the caller for another connect timeout).
    /// </summary>
    public LineAttempt Track(LockRequest request)
    {
        if (request.Attempt is LineAttempt tracked)
            return tracked;
        var attempt = new LineAttempt(this, request);
        request.Attempt = attempt;
        return attempt;
    }

    /// <summary>The hold (key on a session) that <paramref name="request"/> has queued in this line, if it has one now.</summary>
    public static EtcdHold? HoldOf(LockRequest request) => (request.Attempt as LineAttempt)?.Hold;

    /// <summary>One acquire's place in a line: the hold it queued, null before it queued and while it queues again.</summary>
    public sealed class LineAttempt(EtcdLine line, LockRequest request) : LockAttempt
    {
        public EtcdHold? Hold { get; set; }

        protected internal override Task AbandonAsync(CancellationToken cancellationToken) => line.AbandonAsync(request, cancellationToken);
    }

    /// <summary>Leaves the line after an acquire that ended without a grant: deletes our key (a bare lease's own lease is revoked with its session).</summary>
    public async Task AbandonAsync(LockRequest request, CancellationToken cancellationToken)
    {
        if (HoldOf(request) is not { } hold)
            return; // nothing was queued, so nothing is left behind
        try
        {
            if (!hold.Session.IsDedicated)
                await DeleteOwnKeyAsync(hold, "release", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await ForgetAsync(hold).ConfigureAwait(false);
        }
    }

    /// <summary>Extends the hold of <paramref name="holderToken"/>: its own deadline when it is this provider's, else the lease of its key.</summary>
    public async Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (LocalHold(name, holderToken) is { } local)
            return local.Extend(ttl) && !local.Session.IsLost; // the session keeps the lease alive; only the hold's own deadline moves
        if (await FindKeyAsync(name, holderToken, "renew", cancellationToken).ConfigureAwait(false) is not { Lease: not 0 } found)
            return false;
        var left = await Connection.SendAsync("renew", ct => Connection.KeepAliveOnceAsync(found.Lease, ct), cancellationToken).ConfigureAwait(false);
        if (left <= 0)
            return false;
        if (left < LeaseSeconds(ttl))
        {
            throw new LockException(
                $"Lock '{name}': its etcd lease was granted for {left} s and etcd cannot lengthen a lease; renew with a TTL of at most {left} s (it was renewed for {left} s).",
                name, "etcd", Endpoint);
        }
        return true;
    }

    /// <summary>Releases the hold of <paramref name="holderToken"/>: deletes its key, and revokes its lease when it is a bare lease's own.</summary>
    public async Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (LocalHold(name, holderToken) is { } local)
        {
            try
            {
                return await DeleteOwnKeyAsync(local, "release", cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ForgetAsync(local).ConfigureAwait(false);
            }
        }
        if (await FindKeyAsync(name, holderToken, "release", cancellationToken).ConfigureAwait(false) is not { } found)
            return false;
        // Delete the key only while it still carries the token; revoke its lease only when it is a bare
        // lease (no session marker on it), never another process's session with its other holds.
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = found.Key, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = found.Value });
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = found.Key } });
        txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8(EtcdLockKeys.SessionMarker(Options.Prefix, found.Lease)), CountOnly = true } });
        var response = await Connection.SendAsync("release", ct => Connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
            return false;
        if (found.Lease != 0 && response.Responses[1].ResponseRange.Count == 0)
            await Connection.RevokeAsync("release", found.Lease, cancellationToken).ConfigureAwait(false);
        return response.Responses[0].ResponseDeleteRange.Deleted > 0;
    }

    public EtcdHold? LocalHold(string name, string holderToken)
        => _holds.TryGetValue(holderToken, out var hold) && hold.Name == name ? hold : null;

    /// <summary>Finds the key of <paramref name="name"/>'s line whose value is <paramref name="holderToken"/> (one read of that line).</summary>
    private async Task<Mvccpb.KeyValue?> FindKeyAsync(string name, string holderToken, string operation, CancellationToken cancellationToken)
    {
        var keys = KeysOf(name);
        var token = ByteString.CopyFromUtf8(holderToken);
        var response = await Connection.SendAsync(operation, ct => Connection.Kv.RangeAsync(new RangeRequest { Key = keys.KeyPrefixBytes, RangeEnd = keys.RangeEnd }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Kvs.FirstOrDefault(kv => kv.Value.Equals(token));
    }

    /// <summary>Every key of the line in creation order, keys only: the first are the holders (etcd's <c>WithFirstCreate</c>).</summary>
    public static RangeRequest Line(EtcdLockKeys keys) => new()
    {
        Key = keys.KeyPrefixBytes,
        RangeEnd = keys.RangeEnd,
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Ascend,
        KeysOnly = true,
    };

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _sessions.DisposeAsync().ConfigureAwait(false);
        _queues.Dispose();
        await _watches.DisposeAsync().ConfigureAwait(false);
        Connection.Dispose();
    }
}
