using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// One etcd lease kept alive over one long-lived keep-alive stream, as etcd's own
/// <c>concurrency.Session</c>: many holds put their keys on it, so a hold costs no lease grant,
/// revoke or keep-alive of its own, and a crashed process loses every hold when etcd expires the lease.
/// </summary>
/// <remarks>
/// <para>
/// Validity is counted from when the last confirmed keep-alive was <em>sent</em>, minus the drift
/// margin; a timer fires <see cref="Lost"/> at that deadline even while a keep-alive is still in flight,
/// so every hold on the session is told before etcd could expire the lease and grant a lock to another client.
/// </para>
/// <para>
/// A session that holds locks also puts a marker key on its lease and watches it on the provider's
/// watch stream: a lease revoked from outside deletes the marker together with every hold key, and the
/// watch reports it at once. Each keep-alive tick also lists the lease's keys, so a hold whose key was
/// deleted from elsewhere (released by token from another client) learns it within one tick.
/// </para>
/// </remarks>
internal sealed class EtcdSession : IAsyncDisposable
{
    /// <summary>Longest time between keep-alives, whatever the TTL, so a long lease still notices trouble soon.</summary>
    private static readonly TimeSpan MaximumTick = TimeSpan.FromSeconds(5);

    private readonly EtcdConnection _connection;
    private readonly EtcdLockOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _margin;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ByteString, EtcdHold> _holds = new();
    private readonly ITimer _expiry;
    private long _validUntilTimestamp;
    private long _refreshedTimestamp;
    private Task _keepAlive = Task.CompletedTask;
    private IDisposable? _markerWatch;
    private int _lostOnce;

    private EtcdSession(EtcdConnection connection, EtcdLockOptions options, ILogger logger, long leaseId, TimeSpan grantedTtl, long sentTimestamp)
    {
        _connection = connection;
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        LeaseId = leaseId;
        GrantedTtl = grantedTtl;
        _margin = options.DriftMarginFor(grantedTtl);
        _expiry = _time.CreateTimer(static s => ((EtcdSession)s!).CheckExpiry(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Refresh(sentTimestamp);
    }

    public long LeaseId { get; }

    /// <summary>True for the lease of one bare lease (no marker, not pooled): revoked when its acquire is abandoned, detached once granted.</summary>
    public bool IsDedicated { get; private init; }

    /// <summary>The TTL etcd granted (whole seconds, possibly raised to its minimum); every keep-alive restores it.</summary>
    public TimeSpan GrantedTtl { get; }

    /// <summary>Fires once the session can no longer be vouched for: keep-alives failed past validity, or the lease is gone.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Timestamp taken before sending the grant or keep-alive that etcd confirmed last; etcd keeps the lease at least <see cref="GrantedTtl"/> from then.</summary>
    public long RefreshedTimestamp => Volatile.Read(ref _refreshedTimestamp);

    /// <summary>Holds whose key is on this lease, by key (a lock's key names its lease, so a lock has at most one hold per session).</summary>
    public int HoldCount => _holds.Count;

    /// <summary>
    /// Grants a lease of <paramref name="ttlSeconds"/> and starts keeping it alive. With a
    /// <paramref name="marker"/> key, also puts it on the lease and watches it on <paramref name="watches"/>.
    /// </summary>
    public static async Task<EtcdSession> StartAsync(EtcdConnection connection, EtcdWatchStream watches, EtcdLockOptions options, ILogger logger, long ttlSeconds, Func<long, ByteString>? marker, CancellationToken cancellationToken)
    {
        var leaseId = Random.Shared.NextInt64(1, long.MaxValue);
        var sent = options.TimeProvider.GetTimestamp();
        var granted = await connection.GrantLeaseAsync("session", leaseId, ttlSeconds, cancellationToken).ConfigureAwait(false);
        var session = new EtcdSession(connection, options, logger, leaseId, TimeSpan.FromSeconds(granted), sent) { IsDedicated = marker is null };
        try
        {
            if (marker is not null)
            {
                var key = marker(leaseId);
                var put = await connection.SendAsync("session", ct => connection.Kv.PutAsync(new PutRequest { Key = key, Lease = leaseId }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                session._markerWatch = watches.Watch(key, put.Header.Revision + 1, session.OnMarkerGone, "session", guarded: false);
            }
            session._keepAlive = Task.Run(session.KeepAliveLoopAsync, CancellationToken.None);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Takes <paramref name="hold"/>'s key on this lease; false when the session is lost or another hold has that key.</summary>
    public bool TryReserve(EtcdHold hold) => !IsLost && _holds.TryAdd(hold.Key, hold);

    public void Unreserve(EtcdHold hold) => _holds.TryRemove(new KeyValuePair<ByteString, EtcdHold>(hold.Key, hold));

    /// <summary>Stops keeping the lease alive without revoking it: from now on it lives only as long as someone renews it by id.</summary>
    public async Task DetachAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _expiry.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await _keepAlive.ConfigureAwait(false);
    }

    private void Refresh(long sentTimestamp)
    {
        // In seconds, not ticks: a day of ticks times a nanosecond timestamp frequency overflows a long.
        var validTicks = (long)((GrantedTtl - _margin).TotalSeconds * _time.TimestampFrequency);
        var until = sentTimestamp + validTicks;
        if (until <= Volatile.Read(ref _validUntilTimestamp))
            return;
        Volatile.Write(ref _validUntilTimestamp, until);
        Volatile.Write(ref _refreshedTimestamp, sentTimestamp);
        if (!_stop.IsCancellationRequested)
            _expiry.Change(RemainingValidity() + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
    }

    private TimeSpan RemainingValidity()
    {
        var left = Volatile.Read(ref _validUntilTimestamp) - _time.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / _time.TimestampFrequency);
    }

    private void CheckExpiry()
    {
        if (RemainingValidity() <= TimeSpan.Zero)
            MarkLost("no keep-alive was confirmed within the lease's validity");
        else if (!_stop.IsCancellationRequested)
            _expiry.Change(RemainingValidity() + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
    }

    private void OnMarkerGone(EtcdWatchOutcome outcome)
    {
        if (outcome == EtcdWatchOutcome.Deleted)
            MarkLost("etcd deleted the session's keys (lease revoked or expired)");
        else
            _ = ConfirmLeaseAsync(); // the watch was cancelled by etcd: ask the lease itself
    }

    private async Task ConfirmLeaseAsync()
    {
        try
        {
            var left = await _connection.SendAsync("keepalive", ct => _connection.KeepAliveOnceAsync(LeaseId, ct), _stop.Token).ConfigureAwait(false);
            if (left <= 0)
                MarkLost("etcd reports the session lease gone");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogDebug(ex, "Checking etcd session lease {LeaseId} failed; the keep-alive loop decides", LeaseId);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void MarkLost(string reason)
    {
        if (Interlocked.Exchange(ref _lostOnce, 1) != 0)
            return;
        if (!_holds.IsEmpty)
            _logger.LogWarning("etcd session lease {LeaseId} lost with {Holds} holds on it: {Reason}", LeaseId, _holds.Count, reason);
        try
        {
            _lost.Cancel(); // every hold on the session is registered here, so each one's Lost fires now
        }
        catch (AggregateException ex)
        {
            _logger.LogError(ex, "A callback on the Lost token of etcd session {LeaseId} threw", LeaseId);
        }
        _stop.Cancel();
    }

    private async Task KeepAliveLoopAsync()
    {
        var tick = GrantedTtl / 3 < MaximumTick ? GrantedTtl / 3 : MaximumTick;
        var lastSent = _time.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            var channel = _connection.Current;
            try
            {
                using var stream = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, channel.Retired);
                using var call = channel.Leases.LeaseKeepAlive(cancellationToken: stream.Token);
                while (true)
                {
                    var due = tick - _time.GetElapsedTime(lastSent);
                    if (due > TimeSpan.Zero)
                        await Task.Delay(due, _time, _stop.Token).ConfigureAwait(false);
                    var sent = _time.GetTimestamp();
                    lastSent = sent;
                    _connection.Metrics.Request("keepalive");
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stream.Token);
                    attempt.CancelAfter(_options.AttemptTimeout);
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = LeaseId }, attempt.Token).ConfigureAwait(false);
                    if (!await call.ResponseStream.MoveNext(attempt.Token).ConfigureAwait(false))
                        throw new RpcException(new Status(StatusCode.Unavailable, "etcd closed the keep-alive stream."));
                    if (call.ResponseStream.Current.TTL <= 0)
                    {
                        MarkLost("etcd reports the session lease gone (revoked or expired)");
                        return;
                    }
                    Refresh(sent);
                    if (!_holds.IsEmpty)
                        await CheckHoldKeysAsync(channel, stream.Token).ConfigureAwait(false);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Retried, on another member, until validity runs out; then the expiry timer fires Lost.
                _logger.LogDebug(ex, "Keep-alive of etcd session lease {LeaseId} failed; retrying", LeaseId);
                _connection.ReportFailure(channel, "did not answer a keep-alive in time", ex);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Lists the keys on the lease; a granted hold whose key is missing was released or deleted from elsewhere.</summary>
    private async Task CheckHoldKeysAsync(EtcdMemberChannel channel, CancellationToken cancellationToken)
    {
        var sent = _time.GetTimestamp();
        _connection.Metrics.Request("keepalive");
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.AttemptTimeout);
        var lease = await channel.Leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = LeaseId, Keys = true }, cancellationToken: attempt.Token).ConfigureAwait(false);
        if (lease.TTL == -1) // TTL counts whole seconds left, so 0 is a live lease with under a second to go
        {
            MarkLost("etcd reports the session lease gone (revoked or expired)");
            return;
        }
        var keys = lease.Keys.ToHashSet();
        foreach (var hold in _holds.Values)
        {
            if (hold.GrantedBefore(sent) && !keys.Contains(hold.Key))
                hold.MarkGone("its key was deleted from outside this process (released by token elsewhere, or by an operator)");
        }
    }

    /// <summary>Stops the keep-alives and revokes the lease, which deletes every key still on it.</summary>
    public async ValueTask DisposeAsync()
    {
        var wasRunning = !_stop.IsCancellationRequested;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _expiry.DisposeAsync().ConfigureAwait(false);
        _markerWatch?.Dispose();
        await _keepAlive.ConfigureAwait(false);
        if (wasRunning && !IsLost)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
                await _connection.RevokeAsync("session", LeaseId, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug(ex, "Revoking etcd session lease {LeaseId} failed; it expires by itself", LeaseId);
            }
        }
    }
}
