namespace Coord.Locks;

/// <summary>
/// Holds of a lock by their holder token, for holders that have no handle in this process: the REST
/// service hands a token to its caller and renews, releases and reports on the hold by that token later,
/// possibly from another instance. An application holding locks itself needs only <see cref="ILock"/>;
/// every Coord backend implements both.
/// </summary>
public interface ILockLeases : ILock
{
    /// <summary>
    /// Whether <see cref="RenewAsync"/> works for a hold taken through another provider or process. False
    /// where a hold belongs to the acquiring client's session (ZooKeeper's ephemeral nodes): such a renewal
    /// throws <see cref="LockException"/> instead. Release by token works from anywhere on every backend.
    /// </summary>
    bool RenewsFromAnyProcess { get; }

    /// <summary>
    /// Takes the lock as a bare lease that nothing renews in this process (for holders elsewhere, such as
    /// REST clients): it ends at its TTL unless renewed by token. Null when not had within <paramref name="wait"/>.
    /// </summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait: zero (the default) tries once; <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; an attempt already sent to the backend is cleaned up.</param>
    /// <returns>The lease with its holder token, or null when the lock was not had within <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<LockLease?> TryAcquireLeaseAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Whether the lock is held and its latest fencing token; never reveals the holder token.</summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lock's status as the backend sees it now.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="NotSupportedException">The backend cannot report status.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<LockStatus> GetStatusAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a hold identified by its holder token, for holders that have no handle in this
    /// process (the REST service). Returns false, changing nothing, when the token does not hold the lock.
    /// </summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="LockLease.HolderToken"/> or <see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="ttl">New lease length from now: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was extended; false when <paramref name="holderToken"/> does not hold the lock.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentException"><paramref name="holderToken"/> is null, empty or longer than 128 characters.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockException">The hold belongs to another client's session and cannot be renewed here (see <see cref="RenewsFromAnyProcess"/>).</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Releases a hold identified by its holder token. Returns false, changing nothing, when the token does not hold the lock.</summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="LockLease.HolderToken"/> or <see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was released; false when <paramref name="holderToken"/> does not hold the lock.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentException"><paramref name="holderToken"/> is null, empty or longer than 128 characters.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default);
}
