namespace Coord.Locks;

/// <summary>
/// Named distributed semaphores on one backend: at most <c>maxCount</c> holders of a name at once. Each
/// permit is a hold like a lock's (<see cref="ILockHandle"/>): a lease that renews itself, a secret holder
/// token, a fencing token that rises with every grant of the name, and a <see cref="ILockHandle.Lost"/>
/// signal. Waiters are served first come, first served: a permit that comes free goes to the longest
/// waiter, never to a caller that asks later (a releaser that asks again at once goes to the back).
/// </summary>
/// <remarks>
/// Every client of a name must use the same max count. The first acquire of a name that nobody holds or
/// waits for sets it; an acquire with another count while the name has a holder or a waiter fails with
/// <see cref="SemaphoreCountMismatchException"/> and changes nothing. Once the name is idle again, the
/// next acquire may set a new count.
/// </remarks>
/// <example>
/// <code>
/// await using var permit = await semaphores.AcquireAsync("api/geocoder", maxCount: 4, wait: TimeSpan.FromSeconds(10));
/// await geocoder.CallAsync(request, permit.Lost);
/// </code>
/// </example>
public interface ISemaphore : IAsyncDisposable
{
    /// <summary>Short backend name used in errors and metrics, e.g. <c>redis</c>.</summary>
    string Backend { get; }

    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    string Endpoint { get; }

    /// <summary>False when the backend cannot issue fencing tokens that a downstream resource can trust.</summary>
    bool SupportsFencing { get; }

    /// <summary>
    /// Waits for one permit of <paramref name="name"/>. <paramref name="wait"/> null waits until cancelled;
    /// on timeout throws <see cref="LockTimeoutException"/>.
    /// </summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="maxCount">How many permits the name has: 1 to <see cref="int.MaxValue"/>; every client of the name must pass the same count.</param>
    /// <param name="wait">How long to wait: zero tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up.</param>
    /// <returns>The permit; it renews its lease until disposed and signals <see cref="ILockHandle.Lost"/> if it ends early. Dispose it to release.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1, <paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="SemaphoreCountMismatchException">The name is in use with another max count.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    /// <exception cref="LockTimeoutException">No permit was had within <paramref name="wait"/>.</exception>
    Task<ILockHandle> AcquireAsync(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AcquireAsync"/> but returns null when no permit is had within <paramref name="wait"/> (default: no waiting).</summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="maxCount">How many permits the name has: 1 to <see cref="int.MaxValue"/>; every client of the name must pass the same count.</param>
    /// <param name="wait">How long to wait: zero (the default) tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up.</param>
    /// <returns>The permit, or null when none was had within <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1, <paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="SemaphoreCountMismatchException">The name is in use with another max count.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ILockHandle?> TryAcquireAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="AcquireAsync"/>
    ILockHandle Acquire(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="TryAcquireAsync"/>
    ILockHandle? TryAcquire(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);
}
