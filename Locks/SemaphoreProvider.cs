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
    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected SemaphoreProvider(LockOptions options, ILogger? logger)
        : base(options, logger)
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

    private static int ValidateMaxCount(int maxCount)
        => maxCount >= 1
            ? maxCount
            : throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount,
                $"A semaphore's max count must be at least 1 and at most {int.MaxValue} (int.MaxValue); it was {maxCount}.");
}
