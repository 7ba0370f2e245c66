namespace Coord.Locks;

/// <summary>
/// One live hold of a named lock. Disposing releases it. The hold renews itself in the background
/// until released; <see cref="Lost"/> fires as soon as this client can no longer be sure it holds the lock.
/// Thread-safe.
/// </summary>
/// <remarks>
/// <c>Dispose</c> and <c>DisposeAsync</c> never throw for a failed release, so they cannot mask the
/// exception of the block they end: the failure is logged and the lease expires at its TTL. Call
/// <see cref="ReleaseAsync"/> to see the failure.
/// </remarks>
public interface ILockHandle : IAsyncDisposable, IDisposable
{
    /// <summary>The lock name.</summary>
    string Name { get; }

    /// <summary>The secret that proves this hold; only its owner can renew or release with it.</summary>
    string HolderToken { get; }

    /// <summary>
    /// A number strictly greater than that of every earlier acquisition of this name; hand it to
    /// downstream resources so they can reject a stale holder. Throws <see cref="NotSupportedException"/>
    /// where <see cref="HasFencingToken"/> is false.
    /// </summary>
    /// <exception cref="NotSupportedException">The backend issues no trustworthy fencing tokens (RedLock).</exception>
    long FencingToken { get; }

    /// <summary>Whether this backend issued a fencing token that can be trusted.</summary>
    bool HasFencingToken { get; }

    /// <summary>The time-to-live of each lease period; renewals extend the hold by this much.</summary>
    TimeSpan Ttl { get; }

    /// <summary>Local time until which the hold is known to be safe, already reduced by the clock drift margin.</summary>
    DateTimeOffset ValidUntil { get; }

    /// <summary>Fires when the hold is lost (renewal refused or impossible, lease or session expired). Never fires after a release.</summary>
    CancellationToken Lost { get; }

    /// <summary>True once <see cref="Lost"/> has fired.</summary>
    bool IsLost { get; }

    /// <summary>Releases the lock. Safe to call more than once; later calls do nothing.</summary>
    /// <param name="cancellationToken">Stops waiting for the backend; the lease then expires at its TTL.</param>
    /// <returns>A task that completes once the backend has released the hold (or found it already gone).</returns>
    /// <exception cref="LockBackendException">The backend could not be reached or failed; the lease expires at its TTL.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task ReleaseAsync(CancellationToken cancellationToken = default);
}
