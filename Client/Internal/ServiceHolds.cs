using System.Net;
using Coord.Locks;

namespace Coord.Client.Internal;

/// <summary>
/// The backend calls of a lock or of a semaphore over the service: both route families take, renew and release
/// bare leases the same way, so <see cref="CoordServiceLock"/> and <see cref="CoordServiceSemaphore"/> share them.
/// </summary>
internal sealed class ServiceHolds(ServiceApi api, string route, CoordClientOptions options, LockMetrics metrics, TimeProvider time)
{
    /// <summary>
    /// Asks until granted or the wait runs out, each request waiting at most <see cref="CoordClientOptions.MaxWaitPerRequest"/>.
    /// Each request carries a fresh attempt id, so that giving up takes back the one in flight (<see cref="ServiceAttempt"/>).
    /// </summary>
    /// <param name="request">The acquire; its <see cref="LockRequest.Attempt"/> is set here.</param>
    /// <param name="maxCount">The semaphore's permits; null for a lock.</param>
    /// <param name="onReply">Sees every answer that came back, to refuse one (a semaphore's count mismatch) by throwing.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="campaignValue">An election candidate's value (the acquire is then a campaign); null otherwise.</param>
    public async Task<LockGrant?> AcquireAsync(LockRequest request, int? maxCount, Action<AcquireReply>? onReply, CancellationToken cancellationToken, string? campaignValue = null)
    {
        var attempt = new ServiceAttempt(api, route, request.Name);
        request.Attempt = attempt;
        while (true)
        {
            var wait = request.Wait is null ? options.MaxWaitPerRequest : Min(request.RemainingWait, options.MaxWaitPerRequest);
            var sent = time.GetTimestamp();
            metrics.Request("acquire");
            var attemptId = attempt.NextRequest();
            var reply = await Call(() => api.AcquireAsync(route, request.Name, request.Ttl, wait, attemptId, maxCount, campaignValue, cancellationToken)).ConfigureAwait(false);
            attempt.Answered();
            if (reply is not null)
            {
                onReply?.Invoke(reply);
                if (reply.HolderToken is { } holderToken)
                {
                    attempt.GrantedHolderToken = holderToken;
                    var leaseStart = await LeaseStartAsync(request, holderToken, sent, cancellationToken).ConfigureAwait(false);
                    if (leaseStart is { } started)
                        return new LockGrant(reply.FencingToken, started) { IssuedHolderToken = holderToken };
                    attempt.GrantedHolderToken = null;
                }
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
    private async Task<long?> LeaseStartAsync(LockRequest request, string holderToken, long sent, CancellationToken cancellationToken)
    {
        if (time.GetElapsedTime(sent) <= request.Ttl / 2)
            return sent;
        var renewSent = time.GetTimestamp();
        return await RenewAsync(request.Name, holderToken, request.Ttl, cancellationToken).ConfigureAwait(false) ? renewSent : null;
    }

    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        metrics.Request("renew");
        return Call(() => api.RenewAsync(route, name, holderToken, ttl, cancellationToken));
    }

    public Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        metrics.Request("release");
        return Call(() => api.ReleaseAsync(route, name, holderToken, cancellationToken));
    }

    /// <summary>
    /// What the service refused as bad input is the caller's <see cref="ArgumentException"/>, what it cannot do a
    /// <see cref="NotSupportedException"/>; everything else reaches the provider, which reports a
    /// <see cref="LockBackendException"/> with this exception (its code and detail) inside.
    /// </summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
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

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
