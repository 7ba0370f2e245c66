using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// The transport of one <see cref="EtcdLock"/>: one gRPC channel to one member at a time, and sending a
/// request again when a member does not answer or is unavailable. Every request sent through
/// <see cref="SendAsync"/> is counted in the provider's metrics and must be idempotent.
/// </summary>
/// <remarks>
/// A member that stops answering without closing its connections (paused, cut off, stuck on a disk)
/// leaves every call on it silent, streams included. Whoever notices first (a request past its attempt
/// timeout, a keep-alive or watch stream past its deadline) reports the channel it used, and the
/// connection moves to the next member on a fresh channel, retiring the old one so that every call still
/// on it fails at once and is made again on the new member. The first member is picked at random, so the
/// clients of a cluster spread over its members.
/// </remarks>
internal sealed class EtcdConnection : IDisposable
{
    private readonly EtcdLockOptions _options;
    private readonly string[] _endpoints;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private EtcdMemberChannel _current;
    private int _index;
    private bool _disposed;

    public EtcdConnection(EtcdLockOptions options, string endpoint, LockMetrics metrics, ILogger logger)
    {
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        Metrics = metrics;
        _endpoints = endpoint.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _index = Random.Shared.Next(_endpoints.Length);
        _current = new EtcdMemberChannel(options, _endpoints[_index]);
    }

    /// <summary>The channel calls go to now; pass it to <see cref="ReportFailure"/> when a call on it stalls or fails.</summary>
    public EtcdMemberChannel Current => Volatile.Read(ref _current);

    public KV.KVClient Kv => Current.Kv;
    public Lease.LeaseClient Leases => Current.Leases;
    public Watch.WatchClient Watches => Current.Watches;
    public LockMetrics Metrics { get; }

    /// <summary>
    /// Moves to the next member on a fresh channel if <paramref name="failed"/> is still the current one
    /// (many callers noticing the same stall move the connection once), and retires <paramref name="failed"/>.
    /// </summary>
    public void ReportFailure(EtcdMemberChannel failed, string what, Exception? error = null)
    {
        lock (_gate)
        {
            if (_disposed || failed != _current)
                return;
            _index = (_index + 1) % _endpoints.Length;
            Volatile.Write(ref _current, new EtcdMemberChannel(_options, _endpoints[_index]));
        }
        _logger.LogInformation(error, "etcd member {Failed}: {What}; moving to {Next}", failed.Endpoint, what, _endpoints[_index]);
        failed.Dispose();
    }

    /// <summary>
    /// Sends one request, and sends it again when a member does not answer within the attempt timeout
    /// or is unavailable, until <see cref="LockOptions.ConnectTimeout"/> has passed; a failed attempt moves
    /// the connection to another member first. A member whose leader died holds a request for etcd's own
    /// request timeout (about 7 s) before failing it; sent again, it reaches a member with a new leader.
    /// </summary>
    public async Task<T> SendAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var attemptTimeout = _options.AttemptTimeout;
        while (true)
        {
            var channel = Current;
            var left = _options.ConnectTimeout - _time.GetElapsedTime(started);
            using var timeout = new CancellationTokenSource(left > TimeSpan.Zero && left < attemptTimeout ? left : attemptTimeout, _time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, channel.Retired);
            Metrics.Request(operation);
            try
            {
                return await call(attempt.Token).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(ex.Message, ex, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (IsWorthAnotherTry(ex) || channel.IsRetired))
            {
                if (_time.GetElapsedTime(started) >= _options.ConnectTimeout)
                {
                    throw timeout.IsCancellationRequested
                        ? new TimeoutException($"etcd did not answer {operation} within {_options.ConnectTimeout.TotalMilliseconds:0} ms.", ex)
                        : ex;
                }
                _logger.LogDebug(ex, "etcd {Operation} attempt failed; sending it again", operation);
                var movedAlready = channel.IsRetired; // another caller noticed first: go on at once
                ReportFailure(channel, $"{operation} failed or was not answered within {attemptTimeout.TotalMilliseconds:0} ms", ex);
                attemptTimeout = TimeSpan.FromTicks(Math.Min(attemptTimeout.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
                if (!timeout.IsCancellationRequested && !movedAlready)
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false); // a fast failure: no hot loop
            }
        }
    }

    /// <summary>
    /// Whether a failure (the caller did not cancel) is about the transport or the member rather than
    /// the request: the attempt timed out, the connection died (gRPC reports that as Unavailable,
    /// Internal, or even as a cancellation of the stream) or the member was between leaders.
    /// </summary>
    public static bool IsWorthAnotherTry(Exception ex) => ex switch
    {
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted or StatusCode.Cancelled } => true,
        OperationCanceledException => true,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>Sends one keep-alive on a stream of its own; returns the lease's TTL in seconds after it, or 0 when the lease no longer exists.</summary>
    public async Task<long> KeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken)
    {
        try
        {
            using var call = Leases.LeaseKeepAlive(cancellationToken: cancellationToken);
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

    /// <summary>Grants a lease with an id chosen here, so a grant sent again after a lost answer cannot leave a second lease behind. Returns the TTL etcd granted.</summary>
    public Task<long> GrantLeaseAsync(string operation, long leaseId, long ttlSeconds, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return SendAsync(operation, async ct =>
        {
            try
            {
                attempts++;
                var granted = await Leases.LeaseGrantAsync(new LeaseGrantRequest { ID = leaseId, TTL = ttlSeconds }, cancellationToken: ct).ConfigureAwait(false);
                return string.IsNullOrEmpty(granted.Error) ? granted.TTL : throw new InvalidOperationException($"etcd refused to grant a lease: {granted.Error}");
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && attempts > 1)
            {
                return ttlSeconds; // "lease already exists": an earlier attempt whose answer was lost granted it
            }
        }, cancellationToken);
    }

    /// <summary>Revokes a lease (deleting its keys); false when etcd no longer knows it.</summary>
    public Task<bool> RevokeAsync(string operation, long leaseId, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return SendAsync(operation, async ct =>
        {
            try
            {
                attempts++;
                await Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // On a second try, an earlier attempt whose answer was lost most likely revoked it.
                return attempts > 1;
            }
        }, cancellationToken);
    }

    public void Dispose()
    {
        EtcdMemberChannel current;
        lock (_gate)
        {
            _disposed = true;
            current = _current;
        }
        current.Dispose();
    }
}
