using System.Net;
using Coord.Client.Internal;
using Coord.Locks;
using Microsoft.Extensions.Logging;

namespace Coord.Client;

/// <summary>
/// <see cref="ILock"/> over the Coord REST service, with the same contract as a backend in process: the
/// shared handle renews every TTL/3, fires <see cref="ILockHandle.Lost"/> at its validity deadline and
/// releases on dispose. Waits longer than the service grants one request (30 s) ask again.
/// </summary>
/// <remarks>
/// Acquire is never sent twice by the client itself: the service issues the holder token, so a repeated
/// POST after a lost answer could grant a second hold that nobody knows the token of.
/// </remarks>
public sealed class CoordServiceLock : LockProvider
{
    private readonly ServiceApi _api;
    private readonly CoordClientOptions _options;

    private readonly IAsyncDisposable? _connections;

    /// <param name="connections">What owns this client's connections when nothing else does (a client made by <see cref="CoordClient.Create"/>): closed after the last hold is released.</param>
    internal CoordServiceLock(ServiceApi api, CoordClientOptions options, ILogger? logger, IAsyncDisposable? connections)
        : base(options, logger)
    {
        _api = api;
        _options = options;
        _connections = connections;
        Endpoint = options.Backend is null ? api.BaseAddress.ToString() : $"{api.BaseAddress} (backend {options.Backend})";
    }

    public override string Backend => "coord-service";
    public override string Endpoint { get; }
    public override TimeSpan MinimumTtl => _options.MinTtl;
    public override TimeSpan MaximumTtl => _options.MaxTtl;

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var attempt = new ServiceAttempt(_api, request.Name);
        request.Attempt = attempt;
        while (true)
        {
            var wait = request.Wait is null ? _options.MaxWaitPerRequest : Min(request.RemainingWait, _options.MaxWaitPerRequest);
            var sent = Time.GetTimestamp();
            Metrics.Request("acquire");
            var attemptId = attempt.NextRequest();
            var reply = await Call(() => _api.AcquireAsync(request.Name, request.Ttl, wait, attemptId, cancellationToken)).ConfigureAwait(false);
            attempt.Answered();
            if (reply is not null)
            {
                attempt.GrantedHolderToken = reply.HolderToken;
                var leaseStart = await LeaseStartAsync(request, reply, sent, cancellationToken).ConfigureAwait(false);
                if (leaseStart is { } started)
                    return new LockGrant(reply.FencingToken, started) { IssuedHolderToken = reply.HolderToken };
                attempt.GrantedHolderToken = null;
            }
            if (request.WaitExpired)
                return null;
        }
    }

    /// <summary>
    /// When the lease started, by this process's clock. The service waited before granting, so its lease began
    /// somewhere between sending and the answer; counting from the send is safe but gives away the time waited.
    /// After a wait of more than half the TTL the client renews at once and counts from that renewal instead.
    /// Null when the hold had already run out by then.
    /// </summary>
    private async Task<long?> LeaseStartAsync(LockRequest request, AcquireReply reply, long sent, CancellationToken cancellationToken)
    {
        if (Time.GetElapsedTime(sent) <= request.Ttl / 2)
            return sent;
        var renewSent = Time.GetTimestamp();
        Metrics.Request("renew");
        return await Call(() => _api.RenewAsync(request.Name, reply.HolderToken, request.Ttl, cancellationToken)).ConfigureAwait(false) ? renewSent : null;
    }

    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Metrics.Request("renew");
        return Call(() => _api.RenewAsync(name, holderToken, ttl, cancellationToken));
    }

    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        Metrics.Request("release");
        return Call(() => _api.ReleaseAsync(name, holderToken, cancellationToken));
    }

    protected override Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        Metrics.Request("status");
        return Call(() => _api.StatusAsync(name, cancellationToken));
    }

    /// <summary>
    /// What the service refused as bad input is the caller's <see cref="ArgumentException"/>, what it cannot do a
    /// <see cref="NotSupportedException"/>; everything else reaches the provider, which reports a
    /// <see cref="LockBackendException"/> with this exception (its code and detail) inside.
    /// </summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (CoordServiceException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new ArgumentException($"The Coord service refused the request ({ex.Code}): {ex.Detail}", ex);
        }
        catch (CoordServiceException ex) when (ex.StatusCode == HttpStatusCode.NotImplemented)
        {
            throw new NotSupportedException($"The Coord service cannot do this ({ex.Code}): {ex.Detail}", ex);
        }
    }

    protected override ValueTask DisposeCoreAsync() => _connections?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
