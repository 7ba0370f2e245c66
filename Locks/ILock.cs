namespace Coord.Locks;

/// <summary>
/// Named distributed locks on one backend. Every acquisition is a lease that renews itself,
/// carries a secret holder token and (where the backend can give one) a fencing token.
/// </summary>
/// <example>
/// <code>
/// await using var held = await locks.AcquireAsync("orders/42", wait: TimeSpan.FromSeconds(5));
/// await store.WriteAsync(order, fencingToken: held.FencingToken, held.Lost);
/// </code>
/// </example>
public interface ILock : IAsyncDisposable
{
    /// <summary>Short backend name used in errors and metrics, e.g. <c>redis</c>.</summary>
    string Backend { get; }

    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    string Endpoint { get; }

    /// <summary>
    /// False when the backend cannot issue fencing tokens that a downstream resource can trust
    /// (RedLock over independent masters); <see cref="ILockHandle.FencingToken"/> then throws.
    /// </summary>
    bool SupportsFencing { get; }

    /// <summary>
    /// Waits for the lock. <paramref name="wait"/> null waits until cancelled; on timeout throws
    /// <see cref="LockTimeoutException"/>. <paramref name="ttl"/> null uses the options' default.
    /// </summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait for the lock: zero tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: at least <see cref="LockOptions.MinimumTtl"/> and at most <see cref="LockOptions.MaximumTtl"/> (a backend may narrow the range); null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; an attempt already sent to the backend is cleaned up.</param>
    /// <returns>The handle of the hold; it renews the lease until disposed and signals <see cref="ILockHandle.Lost"/> if the hold ends early. Dispose it to release.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    /// <exception cref="LockTimeoutException">The lock was not had within <paramref name="wait"/>.</exception>
    Task<ILockHandle> AcquireAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AcquireAsync"/> but returns null when the lock is not had within <paramref name="wait"/> (default: no waiting).</summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait for the lock: zero (the default) tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: at least <see cref="LockOptions.MinimumTtl"/> and at most <see cref="LockOptions.MaximumTtl"/> (a backend may narrow the range); null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; an attempt already sent to the backend is cleaned up.</param>
    /// <returns>The handle of the hold, or null when the lock was not had within <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ILockHandle?> TryAcquireAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="AcquireAsync"/>
    ILockHandle Acquire(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="TryAcquireAsync"/>
    ILockHandle? TryAcquire(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);
}
