namespace Coord.Stress.Targets;

/// <summary>
/// One client of a lock implementation (its own connection or session), as the runner drives it.
/// Coord backends and peer libraries look the same through this, so one scenario engine measures all.
/// </summary>
public interface ILockClient : IAsyncDisposable
{
    /// <summary>Waits up to <paramref name="wait"/> for the lock; null when not had in time.</summary>
    Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken);
}
