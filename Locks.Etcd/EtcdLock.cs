using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// Locks on an etcd cluster with the algorithm and key layout of etcd's own <c>clientv3/concurrency</c>
/// Mutex, so <c>etcdctl lock</c> and Go services using <c>concurrency.Mutex</c> exclude with Coord.
/// </summary>
/// <remarks>
/// <para>
/// Holds live on a session (<see cref="EtcdSession"/>): one lease per provider and TTL, kept alive
/// over one stream. Acquire is one transaction: if my key <c>&lt;prefix&gt;&lt;encoded name&gt;/&lt;session
/// lease hex&gt;</c> (see <see cref="EtcdLockKeys"/>) does not exist, put it with the holder token as value,
/// and read every key of the lock in creation order. If mine is first, I hold the lock and its create
/// revision is the fencing token. Otherwise I wait, on the lock's queue watch (<see cref="EtcdQueueWatches"/>:
/// one range watch per lock on the provider's one watch stream, reused from wait to wait), until every key
/// created before mine has been deleted: then mine is the first-created, with no further read. Release is one Delete.
/// </para>
/// <para>
/// A hold that is not renewed by its deadline has its key deleted by this process while the session
/// lives on; a crashed process loses every hold when etcd expires the session lease. Bare leases
/// (<see cref="ILockLeases.TryAcquireLeaseAsync"/>) get a lease of their own, so that any client can renew
/// or release them by holder token.
/// </para>
/// </remarks>
public sealed class EtcdLock : LockProvider
{
    private readonly EtcdLockOptions _options;
    private readonly EtcdConnection _connection;
    private readonly EtcdWatchStream _watches;
    private readonly EtcdSessionPool _sessions;
    private readonly EtcdQueueWatches _queues;
    private readonly ConcurrentDictionary<string, EtcdHold> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ByteString, EtcdHold> _holdsByKey = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly Action<EtcdHold> _expireHold;

    /// <summary>Creates the provider. It connects on first use, so an unreachable cluster shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Endpoints, prefix, credentials and timing; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public EtcdLock(EtcdLockOptions options, ILogger<EtcdLock>? logger = null)
        : this(options, (ILogger?)logger)
    {
    }

    /// <summary>The lock with any logger: the inner queue of <see cref="EtcdLeaderElection"/> logs as the election does.</summary>
    internal EtcdLock(EtcdLockOptions options, ILogger? logger)
        : base(options, logger)
    {
        _options = options;
        Endpoint = string.Join(",", options.Endpoints);
        _connection = new EtcdConnection(options, Endpoint, Metrics, Logger);
        _watches = new EtcdWatchStream(_connection, options.AttemptTimeout * 2, Time, Logger);
        _queues = new EtcdQueueWatches(_watches, Time, OnKeyDeleted);
        _sessions = new EtcdSessionPool(_connection, _watches, options, Logger, id => ByteString.CopyFromUtf8(EtcdLockKeys.SessionMarker(options.Prefix, id)));
        _expireHold = h => _ = ExpireAsync(h);
    }

    /// <inheritdoc/>
    public override string Backend => "etcd";
    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>
    /// Every etcd request goes through <see cref="EtcdConnection.SendAsync"/>, which bounds each attempt and
    /// all of them together by <see cref="LockOptions.ConnectTimeout"/>; a session opens within that bound
    /// too, and a waiter stops at the caller's wait. So the provider arms no timer of its own per call.
    /// </summary>
    protected override bool BoundsEveryCall => true;

    /// <summary>The whole seconds an etcd lease gets for <paramref name="ttl"/>: rounded up, at least 1.</summary>
    internal static long LeaseSeconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => QueueAsync(request, value: null, cancellationToken);

    /// <summary>
    /// Queues for the name with <paramref name="value"/> (null: the holder token) on the key, and waits to be first:
    /// a lock's acquire, or an election's campaign (<c>concurrency.Election</c> puts the candidate's value there).
    /// </summary>
    private async Task<LockGrant?> QueueAsync(LockRequest request, ByteString? value, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, request.Name);
        var willWait = request.RemainingWait != TimeSpan.Zero;
        while (true)
        {
            var hold = await NewHoldAsync(request, keys, value, cancellationToken).ConfigureAwait(false);
            Turn turn;
            // Joined before the enqueue transaction goes out, so no DELETE after it goes unseen.
            using (var place = _queues.Join(keys, hold.Key))
            {
                var queued = await EnqueueAsync(hold, cancellationToken).ConfigureAwait(false);
                turn = queued.Ahead.Count == 0 ? Turn.Held
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
                    Logger.LogInformation("Queue place for lock {LockName} on etcd was lost while waiting; queueing again", request.Name);
                    request.BackendState = null;
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
            var own = await EtcdSession.StartAsync(_connection, _watches, _options, Logger, LeaseSeconds(request.Ttl), marker: null, cancellationToken).ConfigureAwait(false);
            hold = new EtcdHold(request.Name, request.HolderToken, keys, own, value);
        }
        else
        {
            hold = await _sessions.ReserveAsync(LeaseSeconds(request.Ttl), request.Name, s => new EtcdHold(request.Name, request.HolderToken, keys, s, value), cancellationToken).ConfigureAwait(false);
        }
        request.BackendState = hold;
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

    /// <summary>What a queue watch reports: every DELETE under a lock's prefix, whichever incarnation of the key it ended.</summary>
    private void OnKeyDeleted(ByteString key, long revision) => OnKeyDeleted(key, revision, long.MaxValue);

    /// <summary>Where one transaction left us: the revision it read at, and the keys created before ours that were still there.</summary>
    private readonly record struct Queued(long Revision, IReadOnlyList<ByteString> Ahead);

    /// <summary>Puts (or finds) our key and reads every key of the lock in creation order, in one transaction.</summary>
    private async Task<Queued> EnqueueAsync(EtcdHold hold, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = hold.Key, Value = hold.Value, Lease = hold.LeaseId } });
        txn.Success.Add(new RequestOp { RequestRange = Queue(hold.Keys) });
        // A transaction sent again after a lost answer finds our key: read it to learn its revision.
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = hold.Key } });
        txn.Failure.Add(new RequestOp { RequestRange = Queue(hold.Keys) });

        var response = await _connection.SendAsync("acquire", ct => _connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Succeeded)
        {
            hold.CreateRevision = response.Header.Revision;
            return new Queued(response.Header.Revision, Ahead(response.Responses[1].ResponseRange, hold.CreateRevision));
        }
        var mine = response.Responses[0].ResponseRange.Kvs.FirstOrDefault();
        // The session reserves a name for one hold at a time, so a key with another value is not a retry of ours.
        if (mine is null || mine.Value != hold.Value)
            throw new InvalidOperationException($"etcd key {hold.Key.ToStringUtf8()} belongs to another hold; it vanished or changed while this one was being queued.");
        hold.CreateRevision = mine.CreateRevision;
        return new Queued(response.Header.Revision, Ahead(response.Responses[1].ResponseRange, hold.CreateRevision));
    }

    /// <summary>The keys created before revision <paramref name="mine"/>: the ones that must go before that key is first.</summary>
    private static List<ByteString> Ahead(RangeResponse queue, long mine)
    {
        var ahead = new List<ByteString>(queue.Kvs.Count);
        foreach (var kv in queue.Kvs)
        {
            if (kv.CreateRevision < mine)
                ahead.Add(kv.Key);
        }
        return ahead;
    }

    private enum Turn
    {
        Held,
        WaitExpired,
        PlaceLost,
    }

    /// <summary>
    /// Waits on the lock's queue watch until every key ahead of ours is deleted; reads the queue again only
    /// when the watch cannot tell (etcd cancelled it) or a wait outlives the longest timer.
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
                check.Success.Add(new RequestOp { RequestRange = Queue(hold.Keys) });
                var response = await _connection.SendAsync("acquire", ct => _connection.Kv.TxnAsync(check, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                if (response.Responses[0].ResponseRange.Kvs.Count == 0)
                    return Turn.PlaceLost;
                revision = response.Header.Revision;
                ahead = Ahead(response.Responses[1].ResponseRange, hold.CreateRevision);
                // The watch did not report these deletes; a hold of ours among them is told first here instead.
                foreach (var gone in lastRead.Except(ahead))
                    OnKeyDeleted(gone, revision, createdBefore: hold.CreateRevision);
                lastRead = ahead;
                if (ahead.Count == 0)
                    return Turn.Held;
            }

            var wait = place.WaitAsync(ahead, revision);
            using (hold.Session.Lost.UnsafeRegister(static s => ((EtcdQueueWatches.Waiter)s!).Stop(EtcdQueueTurn.SessionLost), place))
            {
                try
                {
                    // A timer counts at most about 49 days; a longer (or unbounded) wait looks again after that.
                    switch (await wait.WaitAsync(request.NextWakeUp(LongestTimer), Time, cancellationToken).ConfigureAwait(false))
                    {
                        case EtcdQueueTurn.First:
                            return Turn.Held;
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

    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(49);

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
        Logger.LogInformation("Lock {LockName} on etcd was not renewed within its TTL; deleting its key", hold.Name);
        // Only while the key is still this hold's: a release racing the deadline may have let a later
        // hold of the same name on the same session create the same key again.
        var expire = new TxnRequest();
        expire.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = hold.CreateRevision });
        expire.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = hold.Key } });
        while (!hold.Session.IsLost && !_disposing.IsCancellationRequested)
        {
            try
            {
                await _connection.SendAsync("expire", ct => _connection.Kv.TxnAsync(expire, cancellationToken: ct).ResponseAsync, _disposing.Token).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (!_disposing.IsCancellationRequested)
            {
                Logger.LogWarning(ex, "Deleting the expired etcd key of lock {LockName} failed; retrying", hold.Name);
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
    private Task<DeleteRangeResponse> DeleteOwnKeyAsync(EtcdHold hold, string operation, CancellationToken cancellationToken)
    {
        hold.Releasing = true;
        return _connection.SendAsync(operation, ct => _connection.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = hold.Key }, cancellationToken: ct).ResponseAsync, cancellationToken);
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

    /// <inheritdoc/>
    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        if (request.BackendState is not EtcdHold hold)
            return; // nothing was queued, so nothing is left behind
        try
        {
            // A bare lease's own lease is revoked with its session; a session hold deletes only its key.
            if (!hold.Session.IsDedicated)
                await DeleteOwnKeyAsync(hold, "release", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await ForgetAsync(hold).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (LocalHold(name, holderToken) is { } local)
            return local.Extend(ttl) && !local.Session.IsLost; // the session keeps the lease alive; only the hold's own deadline moves
        if (await FindKeyAsync(name, holderToken, "renew", cancellationToken).ConfigureAwait(false) is not { Lease: not 0 } found)
            return false;
        var left = await _connection.SendAsync("renew", ct => _connection.KeepAliveOnceAsync(found.Lease, ct), cancellationToken).ConfigureAwait(false);
        if (left <= 0)
            return false;
        if (left < LeaseSeconds(ttl))
        {
            throw new LockException(
                $"Lock '{name}': its etcd lease was granted for {left} s and etcd cannot lengthen a lease; renew with a TTL of at most {left} s (it was renewed for {left} s).",
                name, Backend, Endpoint);
        }
        return true;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (LocalHold(name, holderToken) is { } local)
        {
            try
            {
                return (await DeleteOwnKeyAsync(local, "release", cancellationToken).ConfigureAwait(false)).Deleted > 0;
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
        txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8(EtcdLockKeys.SessionMarker(_options.Prefix, found.Lease)), CountOnly = true } });
        var response = await _connection.SendAsync("release", ct => _connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
            return false;
        if (found.Lease != 0 && response.Responses[1].ResponseRange.Count == 0)
            await _connection.RevokeAsync("release", found.Lease, cancellationToken).ConfigureAwait(false);
        return response.Responses[0].ResponseDeleteRange.Deleted > 0;
    }

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, name);
        var response = await _connection.SendAsync("status", ct => _connection.Kv.RangeAsync(FirstCreated(keys), cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.FirstOrDefault() is not { } owner)
            return new LockStatus(name, false, null, null);
        TimeSpan? expiresIn = null;
        if (owner.Lease != 0)
        {
            var lease = await _connection.SendAsync("status", ct => _connection.Leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = owner.Lease }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (lease.TTL > 0)
                expiresIn = TimeSpan.FromSeconds(lease.TTL);
        }
        return new LockStatus(name, true, expiresIn, owner.CreateRevision);
    }

    internal EtcdHold? LocalHold(string name, string holderToken)
        => _holds.TryGetValue(holderToken, out var hold) && hold.Name == name ? hold : null;

    /// <summary>Finds the key of <paramref name="name"/> whose value is <paramref name="holderToken"/> (one read of that lock's keys).</summary>
    private async Task<Mvccpb.KeyValue?> FindKeyAsync(string name, string holderToken, string operation, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, name);
        var token = ByteString.CopyFromUtf8(holderToken);
        var response = await _connection.SendAsync(operation, ct => _connection.Kv.RangeAsync(new RangeRequest { Key = keys.KeyPrefixBytes, RangeEnd = keys.RangeEnd }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Kvs.FirstOrDefault(kv => kv.Value.Equals(token));
    }

    /// <summary>Every key of the lock in creation order, keys only: the first is the holder (etcd's <c>WithFirstCreate</c>).</summary>
    private static RangeRequest Queue(EtcdLockKeys keys) => new()
    {
        Key = keys.KeyPrefixBytes,
        RangeEnd = keys.RangeEnd,
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Ascend,
        KeysOnly = true,
    };

    /// <summary>The holder's key only: <see cref="Queue"/> limited to its first.</summary>
    private static RangeRequest FirstCreated(EtcdLockKeys keys)
    {
        var first = Queue(keys);
        first.Limit = 1;
        return first;
    }

    /// <summary>An election's campaign: the lock's queue with the candidate's value on its key.</summary>
    internal Task<LockGrant?> CampaignAsync(LockRequest request, ByteString value, CancellationToken cancellationToken)
        => QueueAsync(request, value, cancellationToken);

    /// <summary>Withdraws an election's candidacy as an abandoned acquire is.</summary>
    internal Task WithdrawAsync(LockRequest request, CancellationToken cancellationToken) => AbandonAcquireAsync(request, cancellationToken);

    /// <summary>Renews an election's leadership as a lock hold is renewed.</summary>
    internal Task<bool> RenewHoldAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Resigns an election's leadership (or candidacy) as a lock hold is released: its key deleted.</summary>
    internal Task<bool> ReleaseHoldAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ReleaseCoreAsync(name, holderToken, cancellationToken);

    /// <summary>The provider's transport, for an election's reads of the leader.</summary>
    internal EtcdConnection Connection => _connection;

    /// <summary>The provider's one watch stream, for an election's observers.</summary>
    internal EtcdWatchStream Watches => _watches;

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _sessions.DisposeAsync().ConfigureAwait(false);
        _queues.Dispose();
        await _watches.DisposeAsync().ConfigureAwait(false);
        _connection.Dispose();
    }
}
