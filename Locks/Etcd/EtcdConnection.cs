using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// The transport of one <see cref="EtcdLock"/>: the gRPC channel over all endpoints, and sending a
/// request again when a member does not answer or is unavailable. Every request sent through
/// <see cref="SendAsync"/> is counted in the provider's metrics and must be idempotent.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private readonly EtcdClient _client;
    private readonly EtcdLockOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public EtcdConnection(EtcdLockOptions options, string endpoint, LockMetrics metrics, ILogger logger)
    {
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        Metrics = metrics;
        var secure = options.Endpoints.Any(e => e.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        _client = secure
            ? new EtcdClient(endpoint, options.ConfigureTls ?? (_ => { }), configureChannelOptions: DetectDeadMembers)
            : new EtcdClient(endpoint, configureChannelOptions: DetectDeadMembers);
        if (!string.IsNullOrEmpty(options.Username))
            _client.SetCredentials(options.Username, options.Password!);
        var connection = _client.GetConnection();
        Kv = connection.KVClient;
        Leases = connection.LeaseClient;
        Watches = connection.WatchClient;
    }

    public KV.KVClient Kv { get; }
    public Lease.LeaseClient Leases { get; }
    public Watch.WatchClient Watches { get; }
    public LockMetrics Metrics { get; }

    /// <summary>
    /// A member that stops answering without closing its connections (paused, cut off) would leave a
    /// stream on it silent forever; HTTP/2 pings find such a connection within about 10 s so the stream
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

    /// <summary>
    /// Sends one request, and sends it again when a member does not answer within the attempt timeout
    /// or is unavailable, until <see cref="LockOptions.ConnectTimeout"/> has passed. A member whose
    /// leader died holds a request for etcd's own request timeout (about 7 s) before failing it; sent
    /// again, it reaches a member with a new leader.
    /// </summary>
    public async Task<T> SendAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var attemptTimeout = _options.AttemptTimeout;
        while (true)
        {
            var left = _options.ConnectTimeout - _time.GetElapsedTime(started);
            using var timeout = new CancellationTokenSource(left > TimeSpan.Zero && left < attemptTimeout ? left : attemptTimeout, _time);
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
                if (_time.GetElapsedTime(started) >= _options.ConnectTimeout)
                {
                    throw timeout.IsCancellationRequested
                        ? new TimeoutException($"etcd did not answer {operation} within {_options.ConnectTimeout.TotalMilliseconds:0} ms.", ex)
                        : ex;
                }
                _logger.LogDebug(ex, "etcd {Operation} attempt failed; sending it again", operation);
                attemptTimeout = TimeSpan.FromTicks(Math.Min(attemptTimeout.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
                if (!timeout.IsCancellationRequested)
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

    public void Dispose() => _client.Dispose();
}
