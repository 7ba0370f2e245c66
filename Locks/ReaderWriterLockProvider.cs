using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// The shared half of every reader-writer lock backend. A reader is a shared hold of a name admitting
/// <see cref="int.MaxValue"/> holders, a writer an exclusive hold of it (<see cref="LockRequest.IsShared"/>),
/// both queued in the name's one first-come, first-served line: the semaphore's engine with one more
/// admission rule, so everything around the backend runs through the lock's own code (<see cref="HoldProvider"/>).
/// A backend supplies acquire (reading <see cref="LockRequest.IsShared"/>), renew and release by holder token.
/// </summary>
public abstract class ReaderWriterLockProvider : HoldProvider, IReaderWriterLock
{
    /// <summary>
    /// How many readers may share a name: every request of a reader-writer lock carries it as its
    /// <see cref="LockRequest.MaxHolders"/>, so a backend built for semaphores sees one fixed count per name.
    /// </summary>
    public const int MaxReaders = int.MaxValue;

    /// <inheritdoc cref="PrimitiveProvider(LockOptions, ILogger?)"/>
    protected ReaderWriterLockProvider(LockOptions options, ILogger? logger)
        : base(options, logger)
    {
    }

    /// <summary>A provider whose backend calls are <paramref name="engine"/>'s: a backend's whole provider is this constructor.</summary>
    private protected ReaderWriterLockProvider(LockOptions options, ILogger? logger, string backend, Func<HoldEngineServices, IHoldEngine> engine)
        : base(options, logger, backend, engine)
    {
    }

    /// <inheritdoc/>
    public async Task<ILockHandle> AcquireReadLockAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => (await AcquireHoldAsync(name, wait, ttl, MaxReaders, isShared: true, throwOnTimeout: true, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc/>
    public Task<ILockHandle?> TryAcquireReadLockAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireHoldAsync(name, wait, ttl, MaxReaders, isShared: true, throwOnTimeout: false, cancellationToken);

    /// <inheritdoc/>
    public async Task<ILockHandle> AcquireWriteLockAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => (await AcquireHoldAsync(name, wait, ttl, MaxReaders, isShared: false, throwOnTimeout: true, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc/>
    public Task<ILockHandle?> TryAcquireWriteLockAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireHoldAsync(name, wait, ttl, MaxReaders, isShared: false, throwOnTimeout: false, cancellationToken);

    /// <inheritdoc/>
    public ILockHandle AcquireReadLock(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireReadLockAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle? TryAcquireReadLock(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => TryAcquireReadLockAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle AcquireWriteLock(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireWriteLockAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle? TryAcquireWriteLock(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => TryAcquireWriteLockAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();
}
