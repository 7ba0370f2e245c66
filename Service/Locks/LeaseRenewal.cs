using Coord.Service.Hosting;

namespace Coord.Service.Locks;

/// <summary>
/// The renew step every lease route shares (a lock's hold, a semaphore permit, a leadership): holder token from the
/// header, the required TTL from the body, the backend's renew, and the expiry reported back. The caller has read
/// the name and resolved the backend first, so a request wrong in several ways gets the same error on every route.
/// </summary>
internal static class LeaseRenewal
{
    /// <summary>The renewed lease's answer, or null when the holder token does not hold it (the caller says so in its own words).</summary>
    /// <param name="http">The request, for the holder token header.</param>
    /// <param name="name">The lock, semaphore or election name.</param>
    /// <param name="backend">The backend's configured name, for the answer.</param>
    /// <param name="body">The renew body; its <c>ttlMs</c> is required.</param>
    /// <param name="grantedBy">What returned the ttlMs a client normally renews with ("acquire", "the campaign"), for the message when it is missing.</param>
    /// <param name="renew">The backend's renew of (holder token, ttl); false when the token does not hold the lease.</param>
    internal static async Task<LockRenewalResponse?> RenewAsync(
        HttpContext http, string name, string backend, RenewLockBody? body, ServiceLimits limits, TimeProvider time, string grantedBy,
        Func<string, TimeSpan, CancellationToken, Task<bool>> renew, CancellationToken cancellationToken)
    {
        var token = LeaseInput.HolderToken(http);
        if (body?.TtlMs is null)
            throw new ArgumentException($"ttlMs is required in the renew body: the lease length from now, normally the ttlMs that {grantedBy} returned.");
        var ttl = LeaseInput.Ttl(body.TtlMs, limits);
        // Taken before sending, so the expiry we report can only be earlier than the server's.
        var sentAt = time.GetUtcNow();
        if (!await renew(token, ttl, cancellationToken).ConfigureAwait(false))
            return null;
        return new LockRenewalResponse(name, backend, (long)ttl.TotalMilliseconds, sentAt + ttl - LeaseInput.RenewalMargin(ttl));
    }
}
