namespace Coord.Locks;

/// <summary>
/// Named distributed reader-writer locks on one backend: many readers of a name at once, or one writer and
/// nobody else. Each hold, read or write, is a hold like a lock's (<see cref="ILockHandle"/>): a lease that
/// renews itself, a secret holder token, a fencing token that rises with every grant of the name (read or
/// write), and a <see cref="ILockHandle.Lost"/> signal.
/// </summary>
/// <remarks>
/// Readers and writers wait in one first-come, first-served line. A reader that arrives while a writer waits
/// queues behind that writer, so a stream of readers cannot starve writers; readers at the head of the line
/// are let in together, up to the next waiting writer. Holds are not reentrant and a read hold cannot be
/// upgraded: a holder that asks again waits in line like anyone else.
/// </remarks>
/// <example>
/// <code>
/// await using (var read = await rwLocks.AcquireReadLockAsync("catalog", wait: TimeSpan.FromSeconds(5)))
///     return await catalog.ReadAsync(read.Lost);
/// await using var write = await rwLocks.AcquireWriteLockAsync("catalog", wait: TimeSpan.FromSeconds(30));
/// await catalog.ReplaceAsync(snapshot, fencingToken: write.FencingToken, write.Lost);
/// </code>
/// </example>
public interface IReaderWriterLock : IAsyncDisposable
{
    /// <summary>Short backend name used in errors and metrics, e.g. <c>redis</c>.</summary>
    string Backend { get; }

    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    string Endpoint { get; }

    /// <summary>False when the backend cannot issue fencing tokens that a downstream resource can trust.</summary>
    bool SupportsFencing { get; }

    /// <summary>
    /// Waits for a read (shared) hold of <paramref name="name"/>: granted while no writer holds the name and
    /// none waits ahead. <paramref name="wait"/> null waits until cancelled; on timeout throws <see cref="LockTimeoutException"/>.
    /// </summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait: zero tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up.</param>
    /// <returns>The read hold; it renews its lease until disposed and signals <see cref="ILockHandle.Lost"/> if it ends early. Dispose it to release.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    /// <exception cref="LockTimeoutException">No read hold was had within <paramref name="wait"/>.</exception>
    Task<ILockHandle> AcquireReadLockAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AcquireReadLockAsync"/> but returns null when no read hold is had within <paramref name="wait"/> (default: no waiting).</summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait: zero (the default) tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up.</param>
    /// <returns>The read hold, or null when none was had within <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ILockHandle?> TryAcquireReadLockAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for the write (exclusive) hold of <paramref name="name"/>: granted while nobody holds the name and
    /// none waits ahead; while it waits, readers that arrive later wait behind it. <paramref name="wait"/> null
    /// waits until cancelled; on timeout throws <see cref="LockTimeoutException"/>.
    /// </summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait: zero tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up, letting in the readers queued behind it.</param>
    /// <returns>The write hold; it renews its lease until disposed and signals <see cref="ILockHandle.Lost"/> if it ends early. Dispose it to release.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    /// <exception cref="LockTimeoutException">The write hold was not had within <paramref name="wait"/>.</exception>
    Task<ILockHandle> AcquireWriteLockAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AcquireWriteLockAsync"/> but returns null when the write hold is not had within <paramref name="wait"/> (default: no waiting).</summary>
    /// <param name="name">Lock name: 1 to 256 characters, no control characters.</param>
    /// <param name="wait">How long to wait: zero (the default) tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the handle while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the wait; a place in line already taken is given up, letting in the readers queued behind it.</param>
    /// <returns>The write hold, or null when it was not had within <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, longer than 256 characters or holds control characters or a lone surrogate.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ILockHandle?> TryAcquireWriteLockAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="AcquireReadLockAsync"/>
    ILockHandle AcquireReadLock(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="TryAcquireReadLockAsync"/>
    ILockHandle? TryAcquireReadLock(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="AcquireWriteLockAsync"/>
    ILockHandle AcquireWriteLock(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="TryAcquireWriteLockAsync"/>
    ILockHandle? TryAcquireWriteLock(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);
}
