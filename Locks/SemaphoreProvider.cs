using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// The shared half of every semaphore backend. A permit is a shared hold of the name that admits
/// <see cref="LockRequest.MaxHolders"/> holders instead of one, so everything around the backend runs
/// through the lock's own code (<see cref="HoldProvider"/>). A backend supplies acquire (reading
/// <see cref="LockRequest.MaxHolders"/>; a semaphore's requests are always <see cref="LockRequest.IsShared"/>),
/// renew and release by holder token. An acquire that finds the name in use with another max count throws
/// <see cref="SemaphoreCountMismatchException"/>.
/// </summary>
public abstract class SemaphoreProvider : HoldProvider, ISemaphore
{
    /// <inheritdoc cref="PrimitiveProvider(LockOptions, ILogger?)"/>
    protected SemaphoreProvider(LockOptions options, ILogger? logger)
        : base(options, logger)
    {
    }

    /// <summary>A provider whose backend calls are <paramref name="engine"/>'s: a backend's whole provider is this constructor.</summary>
    private protected SemaphoreProvider(LockOptions options, ILogger? logger, string backend, Func<HoldEngineServices, IHoldEngine> engine)
        : base(options, logger, backend, engine)
    {
    }

    /// <inheritdoc/>
    public async Task<ILockHandle> AcquireAsync(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => (await AcquireHoldAsync(name, wait, ttl, ValidateMaxCount(maxCount), isShared: true, throwOnTimeout: true, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc/>
    public Task<ILockHandle?> TryAcquireAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireHoldAsync(name, wait, ttl, ValidateMaxCount(maxCount), isShared: true, throwOnTimeout: false, cancellationToken);

    /// <inheritdoc/>
    public ILockHandle Acquire(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireAsync(name, maxCount, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle? TryAcquire(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => TryAcquireAsync(name, maxCount, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Takes a permit as a bare lease, for holders with no handle in this process (the REST service): nothing
    /// renews it; the holder renews it with <see cref="HoldProvider.RenewAsync"/> by its token or it frees itself after its TTL.
    /// </summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="maxCount">Permits of the name: 1 to <see cref="int.MaxValue"/>, the same for every client of the name.</param>
    /// <param name="wait">How long to wait for a permit: zero (the default) answers at once; at most 365 days.</param>
    /// <param name="ttl">Lease length: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; nothing is left behind.</param>
    /// <returns>The permit's lease, or null when every permit stayed taken through <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentException">The name, max count, wait or TTL is out of range.</exception>
    /// <exception cref="SemaphoreCountMismatchException">The name is in use with another max count.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<LockLease?> TryAcquireLeaseAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireLeaseAsync(name, wait, ttl, ValidateMaxCount(maxCount), isShared: true, cancellationToken);

    private static int ValidateMaxCount(int maxCount)
        => maxCount >= 1
            ? maxCount
            : throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount,
                $"A semaphore's max count must be at least 1 and at most {int.MaxValue} (int.MaxValue); it was {maxCount}.");
}
