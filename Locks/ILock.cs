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
    Task<ILockHandle> AcquireAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AcquireAsync"/> but returns null when the lock is not had within <paramref name="wait"/> (default: no waiting).</summary>
    Task<ILockHandle?> TryAcquireAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="AcquireAsync"/>
    ILockHandle Acquire(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="TryAcquireAsync"/>
    ILockHandle? TryAcquire(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);
}
