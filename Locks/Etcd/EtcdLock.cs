using System.Collections.Concurrent;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// Locks on an etcd cluster with the algorithm and key layout of etcd's own <c>clientv3/concurrency</c>
/// Mutex, so <c>etcdctl lock</c> and Go services using <c>concurrency.Mutex</c> exclude with Coord.
/// </summary>
/// <remarks>
/// <para>
/// Each acquisition grants its own lease (the TTL rounded up to whole seconds) and queues one key,
/// <c>&lt;prefix&gt;&lt;encoded name&gt;/&lt;lease id hex&gt;</c> (see <see cref="EtcdLockKeys"/>),
/// in one transaction: if the key's create revision is 0, put it with the holder token as its value,
/// else read it; in both cases read the first-created key under the lock's prefix. The key created
/// first holds the lock; its create revision is the fencing token. A waiter watches only the key
/// created just before its own (the pre-key) for a DELETE, from the revision of the read that found
/// it, then checks again, so one release wakes one waiter and waiters are served in arrival order.
/// </para>
/// <para>
/// Renew and release work by holder token from any client: the token is the key's value, so another
/// process finds the lease by reading the lock's keys, then renews it with one keep-alive or releases
/// it by revoking the lease (which deletes the key). The lease belongs to this one hold only.
/// </para>
/// <para>
/// A holder watches its own key: when etcd deletes it (lease revoked or expired) the handle's
/// <see cref="ILockHandle.Lost"/> fires at once. Requests go to all endpoints in turn and move off a
/// failed member; a renewal that cannot reach a quorum before the validity window ends fires Lost.
/// </para>
/// </remarks>
public sealed class EtcdLock : LockProvider
{
    private readonly EtcdLockOptions _options;
    private readonly EtcdClient _client;
    private readonly KV.KVClient _kv;
    private readonly Lease.LeaseClient _leases;
    private readonly Watch.WatchClient _watches;
    private readonly ConcurrentDictionary<string, EtcdHold> _holds = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();

    public EtcdLock(EtcdLockOptions options, ILogger<EtcdLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        Endpoint = string.Join(",", options.Endpoints);
        var secure = options.Endpoints.Any(e => e.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        _client = secure
            ? new EtcdClient(Endpoint, options.ConfigureTls ?? (_ => { }), configureChannelOptions: DetectDeadMembers)
            : new EtcdClient(Endpoint, configureChannelOptions: DetectDeadMembers);
        if (!string.IsNullOrEmpty(options.Username))
            _client.SetCredentials(options.Username, options.Password!);
        var connection = _client.GetConnection();
        _kv = connection.KVClient;
        _leases = connection.LeaseClient;
        _watches = connection.WatchClient;
    }

    public override string Backend => "etcd";
    public override string Endpoint { get; }

    /// <summary>
    /// A member that stops answering without closing its connections (paused, cut off) would leave a
    /// watch on it silent forever; HTTP/2 pings find such a connection within about 10 s so the watch
    /// moves to another member. 6 s between pings stays above etcd's default minimum (5 s), below
    /// which it closes the connection; only connections with open calls are pinged.
    /// </summary>
    private static void DetectDeadMembers(GrpcChannelOptions channel)
    {
        if (channel.HttpHandler is SocketsHttpHandler handler)
        {
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(6);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(4);
            handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        }
    }

    /// <summary>The whole seconds an etcd lease gets for <paramref name="ttl"/>: rounded up, at least 1.</summary>
    internal static long LeaseSeconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, request.Name);
        var willWait = request.RemainingWait != TimeSpan.Zero;
        while (true)
        {
            var (hold, preKey, revision, owner) = await EnqueueAsync(request, keys, cancellationToken).ConfigureAwait(false);
            if (owner)
                return Grant(hold, revision);
            if (!willWait || request.WaitExpired)
                return null; // the provider's abandon step revokes our lease, which removes our key

            var (turn, heldAt) = await WaitForTurnAsync(request, keys, hold, preKey, revision, cancellationToken).ConfigureAwait(false);
            switch (turn)
            {
                case Turn.Held:
                    return Grant(hold, heldAt);
                case Turn.WaitExpired:
                    return null;
                default:
                    // Our key vanished while we waited (lease revoked from outside, or it expired
                    // during an outage): queue again with a new lease, at the back.
                    Logger.LogInformation("Queue place for lock {LockName} on etcd was lost while waiting; queueing again", request.Name);
                    _holds.TryRemove(new KeyValuePair<string, EtcdHold>(hold.HolderToken, hold));
                    await RevokeQuietlyAsync(hold.LeaseId, cancellationToken).ConfigureAwait(false);
                    continue;
            }
        }
    }

    /// <summary>Grants a lease and puts (or finds) our key in one transaction, learning whether we are first.</summary>
    private async Task<(EtcdHold Hold, ByteString? PreKey, long Revision, bool Owner)> EnqueueAsync(LockRequest request, EtcdLockKeys keys, CancellationToken cancellationToken)
    {
        // We pick the lease id, so a grant that is sent again after a lost answer cannot leave a second lease behind.
        var leaseId = Random.Shared.NextInt64(1, long.MaxValue);
        var ttlSeconds = LeaseSeconds(request.Ttl);
        var attempts = 0;
        var sent = Time.GetTimestamp();
        var grantedTtl = await SendAsync("acquire", async ct =>
        {
            try
            {
                attempts++;
                var granted = await _leases.LeaseGrantAsync(new LeaseGrantRequest { ID = leaseId, TTL = ttlSeconds }, cancellationToken: ct).ConfigureAwait(false);
                return string.IsNullOrEmpty(granted.Error) ? granted.TTL : throw new InvalidOperationException($"etcd refused to grant a lease: {granted.Error}");
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && attempts > 1)
            {
                return ttlSeconds; // "lease already exists": an earlier attempt whose answer was lost granted it
            }
        }, cancellationToken).ConfigureAwait(false);

        var hold = new EtcdHold(request.Name, request.HolderToken, keys.KeyFor(leaseId), leaseId, grantedTtl, sent);
        request.BackendState = hold;
        _holds[request.HolderToken] = hold;

        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = hold.Key,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = 0,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = hold.Key, Value = ByteString.CopyFromUtf8(request.HolderToken), Lease = leaseId } });
        txn.Success.Add(new RequestOp { RequestRange = FirstCreated(keys) });
        // Within this transaction our key is the newest, so the two newest keys are ours and the pre-key.
        txn.Success.Add(new RequestOp { RequestRange = NewestCreated(keys, limit: 2, maxCreateRevision: 0) });
        // A retried transaction whose first try was applied lands here: read our key to learn its revision.
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = hold.Key } });
        txn.Failure.Add(new RequestOp { RequestRange = FirstCreated(keys) });

        // Sending it again is safe: a second try finds our key already there and reads it instead.
        var response = await SendAsync("acquire", ct => _kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        ByteString? preKey = null;
        if (response.Succeeded)
        {
            hold.CreateRevision = response.Header.Revision;
            preKey = response.Responses[2].ResponseRange.Kvs.FirstOrDefault(kv => kv.CreateRevision < hold.CreateRevision)?.Key;
        }
        else
        {
            var mine = response.Responses[0].ResponseRange.Kvs;
            if (mine.Count == 0)
                throw new InvalidOperationException($"etcd key {keys.KeyFor(leaseId)} vanished while it was being queued.");
            hold.CreateRevision = mine[0].CreateRevision;
        }
        var first = response.Responses[1].ResponseRange.Kvs.FirstOrDefault();
        var owner = first is null || first.CreateRevision == hold.CreateRevision;
        return (hold, preKey, response.Header.Revision, owner);
    }

    private enum Turn
    {
        Held,
        WaitExpired,
        QueuePlaceLost,
    }

    /// <summary>
    /// Waits for the pre-key's DELETE, then checks whether anyone created before us is left; keeps our
    /// own lease alive meanwhile, so a long wait keeps its place in the queue.
    /// </summary>
    private async Task<(Turn Turn, long Revision)> WaitForTurnAsync(LockRequest request, EtcdLockKeys keys, EtcdHold hold, ByteString? preKey, long revision, CancellationToken cancellationToken)
    {
        var keepAliveEvery = Min(hold.GrantedTtl, request.Ttl) / 3;
        while (true)
        {
            if (preKey is null)
            {
                // One read: is our key still there, and which key created before ours is the newest?
                var check = new TxnRequest();
                check.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = hold.Key, KeysOnly = true } });
                check.Success.Add(new RequestOp { RequestRange = NewestCreated(keys, limit: 1, maxCreateRevision: hold.CreateRevision - 1) });
                var response = await SendAsync("acquire", ct => _kv.TxnAsync(check, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                if (response.Responses[0].ResponseRange.Kvs.Count == 0)
                    return (Turn.QueuePlaceLost, 0);
                revision = response.Header.Revision;
                var before = response.Responses[1].ResponseRange.Kvs.FirstOrDefault();
                if (before is null)
                    return (Turn.Held, revision);
                preKey = before.Key;
            }

            await using (var watch = EtcdDeleteWatch.Start(_watches, preKey, revision + 1, _options.AttemptTimeout * 2, Metrics, Logger, Time, cancellationToken))
            {
                while (true)
                {
                    if (request.WaitExpired)
                        return (Turn.WaitExpired, 0);
                    var untilKeepAlive = keepAliveEvery - Time.GetElapsedTime(hold.LeaseRefreshedTimestamp);
                    if (untilKeepAlive <= TimeSpan.Zero)
                    {
                        if (!await KeepWaiterAliveAsync(hold, cancellationToken).ConfigureAwait(false))
                            return (Turn.QueuePlaceLost, 0);
                        continue;
                    }
                    try
                    {
                        await watch.Outcome.WaitAsync(request.NextWakeUp(untilKeepAlive), Time, cancellationToken).ConfigureAwait(false);
                        break; // deleted, or must be read again: either way, check
                    }
                    catch (TimeoutException)
                    {
                    }
                }
            }
            preKey = null;
        }
    }

    /// <summary>
    /// Keeps a waiter's lease alive. A failure to reach etcd is retried shortly while the lease may
    /// still be alive; false once the lease is known gone or could have expired.
    /// </summary>
    private async Task<bool> KeepWaiterAliveAsync(EtcdHold hold, CancellationToken cancellationToken)
    {
        var sent = Time.GetTimestamp();
        try
        {
            if (await SendAsync("keepalive", ct => KeepAliveOnceAsync(hold.LeaseId, ct), cancellationToken).ConfigureAwait(false) <= 0)
                return false;
            hold.LeaseRefreshedTimestamp = sent;
            return true;
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            if (Time.GetElapsedTime(hold.LeaseRefreshedTimestamp) >= hold.GrantedTtl)
                return false;
            Logger.LogDebug(ex, "Keep-alive of a waiter's etcd lease {LeaseId} failed; retrying", hold.LeaseId);
            await Task.Delay(TimeSpan.FromMilliseconds(200), Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Sends one keep-alive; returns the lease's TTL in seconds after it, or 0 when the lease no longer exists.</summary>
    private async Task<long> KeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken)
    {
        try
        {
            using var call = _leases.LeaseKeepAlive(cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = leaseId }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                throw new RpcException(new Status(StatusCode.Unavailable, "etcd closed the keep-alive stream without answering."));
            var ttl = call.ResponseStream.Current.TTL;
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            return ttl;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            // Streaming calls report the caller's cancellation as an RpcException; callers expect the usual exception.
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }
    }

    private LockGrant Grant(EtcdHold hold, long revision)
    {
        _ = Task.Run(() => MonitorHoldAsync(hold, revision), CancellationToken.None);
        return new LockGrant(hold.CreateRevision, hold.LeaseRefreshedTimestamp, hold.Lost.Token);
    }

    /// <summary>Watches our own key while we hold: its DELETE means the lease was revoked or expired, so the hold is gone.</summary>
    private async Task MonitorHoldAsync(EtcdHold hold, long revision)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(hold.StopMonitor.Token, _disposing.Token);
        try
        {
            while (true)
            {
                EtcdWatchOutcome outcome;
                await using (var watch = EtcdDeleteWatch.Start(_watches, hold.Key, revision + 1, _options.AttemptTimeout * 2, Metrics, Logger, Time, stop.Token))
                    outcome = await watch.Outcome.ConfigureAwait(false);
                if (outcome == EtcdWatchOutcome.Deleted)
                    break;
                var still = await ReadOwnKeyAsync(hold, stop.Token).ConfigureAwait(false);
                if (still is not { } current)
                    break;
                revision = current;
            }
            Logger.LogDebug("etcd deleted the key of lock {LockName} (lease {LeaseId}) while it was held", hold.Name, hold.LeaseId);
            await hold.Lost.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Without the watch the handle still learns of a lost lease from its next renewal.
            Logger.LogWarning(ex, "Watching the etcd key of lock {LockName} failed", hold.Name);
        }
        finally
        {
            _holds.TryRemove(new KeyValuePair<string, EtcdHold>(hold.HolderToken, hold));
        }
    }

    /// <summary>The revision at which our key was seen unchanged, or null when it is gone; retries until stopped.</summary>
    private async Task<long?> ReadOwnKeyAsync(EtcdHold hold, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var response = await SendAsync("monitor", ct => _kv.RangeAsync(new RangeRequest { Key = hold.Key, KeysOnly = true }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                return response.Kvs.Count == 1 && response.Kvs[0].CreateRevision == hold.CreateRevision ? response.Header.Revision : null;
            }
            catch (Exception ex) when (ex is RpcException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                Logger.LogDebug(ex, "Reading the etcd key of lock {LockName} failed; retrying", hold.Name);
                await Task.Delay(TimeSpan.FromMilliseconds(200), Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        if (request.BackendState is not EtcdHold hold)
            return; // nothing was granted, so nothing is left behind
        await hold.StopMonitor.CancelAsync().ConfigureAwait(false);
        _holds.TryRemove(new KeyValuePair<string, EtcdHold>(hold.HolderToken, hold));
        await RevokeAsync(hold.LeaseId, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var local = LocalHold(name, holderToken);
        var leaseId = local?.LeaseId ?? await FindLeaseAsync(name, holderToken, "renew", cancellationToken).ConfigureAwait(false);
        if (leaseId is not { } id)
            return false;
        var sent = Time.GetTimestamp();
        var left = await SendAsync("renew", ct => KeepAliveOnceAsync(id, ct), cancellationToken).ConfigureAwait(false);
        if (left <= 0)
            return false;
        if (local is not null)
            local.LeaseRefreshedTimestamp = sent;
        if (left < LeaseSeconds(ttl))
        {
            throw new LockException(
                $"Lock '{name}': its etcd lease was granted for {left} s and etcd cannot lengthen a lease; renew with a TTL of at most {left} s (it was renewed for {left} s).",
                name, Backend, Endpoint);
        }
        return true;
    }

    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var local = LocalHold(name, holderToken);
        var leaseId = local?.LeaseId ?? await FindLeaseAsync(name, holderToken, "release", cancellationToken).ConfigureAwait(false);
        if (leaseId is not { } id)
            return false;
        if (local is not null)
            await local.StopMonitor.CancelAsync().ConfigureAwait(false);
        var released = await RevokeAsync(id, cancellationToken).ConfigureAwait(false);
        if (local is not null)
            _holds.TryRemove(new KeyValuePair<string, EtcdHold>(holderToken, local));
        return released;
    }

    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, name);
        var response = await SendAsync("status", ct => _kv.RangeAsync(FirstCreated(keys), cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.FirstOrDefault() is not { } owner)
            return new LockStatus(name, false, null, null);
        TimeSpan? expiresIn = null;
        if (owner.Lease != 0)
        {
            var lease = await SendAsync("status", ct => _leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = owner.Lease }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (lease.TTL > 0)
                expiresIn = TimeSpan.FromSeconds(lease.TTL);
        }
        return new LockStatus(name, true, expiresIn, owner.CreateRevision);
    }

    private EtcdHold? LocalHold(string name, string holderToken)
        => _holds.TryGetValue(holderToken, out var hold) && hold.Name == name ? hold : null;

    /// <summary>Finds the lease of the key of <paramref name="name"/> whose value is <paramref name="holderToken"/> (one read of that lock's keys).</summary>
    private async Task<long?> FindLeaseAsync(string name, string holderToken, string operation, CancellationToken cancellationToken)
    {
        var keys = new EtcdLockKeys(_options.Prefix, name);
        var token = ByteString.CopyFromUtf8(holderToken);
        var response = await SendAsync(operation, ct => _kv.RangeAsync(new RangeRequest { Key = keys.KeyPrefixBytes, RangeEnd = keys.RangeEnd }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Kvs.FirstOrDefault(kv => kv.Lease != 0 && kv.Value.Equals(token))?.Lease;
    }

    /// <summary>Revokes a lease (deleting its key); false when etcd no longer knows it.</summary>
    private Task<bool> RevokeAsync(long leaseId, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return SendAsync("release", async ct =>
        {
            try
            {
                attempts++;
                await _leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // On a second try, an earlier attempt whose answer was lost most likely revoked it.
                return attempts > 1;
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Sends one request, and sends it again when a member does not answer within the attempt timeout
    /// or is unavailable, until <see cref="LockOptions.ConnectTimeout"/> has passed. Every request sent
    /// this way is idempotent. A member whose leader died holds a request for etcd's own request
    /// timeout (about 7 s) before failing it; sent again, it reaches a member with a new leader.
    /// </summary>
    private async Task<T> SendAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        var attemptTimeout = _options.AttemptTimeout;
        while (true)
        {
            var left = _options.ConnectTimeout - Time.GetElapsedTime(started);
            using var timeout = new CancellationTokenSource(left > TimeSpan.Zero && left < attemptTimeout ? left : attemptTimeout, Time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            Metrics.Request(operation);
            try
            {
                return await call(attempt.Token).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(ex.Message, ex, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsWorthAnotherTry(ex))
            {
                if (Time.GetElapsedTime(started) >= _options.ConnectTimeout)
                {
                    throw timeout.IsCancellationRequested
                        ? new TimeoutException($"etcd did not answer {operation} within {_options.ConnectTimeout.TotalMilliseconds:0} ms.", ex)
                        : ex;
                }
                Logger.LogDebug(ex, "etcd {Operation} attempt failed; sending it again", operation);
                attemptTimeout = TimeSpan.FromTicks(Math.Min(attemptTimeout.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
                if (!timeout.IsCancellationRequested)
                    await Task.Delay(TimeSpan.FromMilliseconds(50), Time, cancellationToken).ConfigureAwait(false); // a fast failure: no hot loop
            }
        }
    }

    /// <summary>
    /// Whether a failure (the caller did not cancel) is about the transport or the member rather than
    /// the request: the attempt timed out, the connection died (gRPC reports that as Unavailable,
    /// Internal, or even as a cancellation of the stream) or the member was between leaders.
    /// </summary>
    private static bool IsWorthAnotherTry(Exception ex) => ex switch
    {
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted or StatusCode.Cancelled } => true,
        OperationCanceledException => true,
        _ => false,
    };

    private async Task RevokeQuietlyAsync(long leaseId, CancellationToken cancellationToken)
    {
        try
        {
            await RevokeAsync(leaseId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException)
        {
            Logger.LogDebug(ex, "Revoking the old etcd lease {LeaseId} failed; it expires by itself", leaseId);
        }
    }

    /// <summary>The key created first under the lock's prefix: the holder (etcd's <c>WithFirstCreate</c>).</summary>
    private static RangeRequest FirstCreated(EtcdLockKeys keys) => new()
    {
        Key = keys.KeyPrefixBytes,
        RangeEnd = keys.RangeEnd,
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Ascend,
        Limit = 1,
        KeysOnly = true,
    };

    /// <summary>The newest keys under the lock's prefix, optionally only those created at or before a revision (etcd's <c>WithLastCreate</c>, <c>WithMaxCreateRev</c>).</summary>
    private static RangeRequest NewestCreated(EtcdLockKeys keys, long limit, long maxCreateRevision) => new()
    {
        Key = keys.KeyPrefixBytes,
        RangeEnd = keys.RangeEnd,
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Descend,
        Limit = limit,
        MaxCreateRevision = maxCreateRevision,
        KeysOnly = true,
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    protected override async ValueTask DisposeCoreAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
