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
    Task<LockLease?> TryAcquireLeaseAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Whether the lock is held and its latest fencing token; never reveals the holder token.</summary>
    Task<LockStatus> GetStatusAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a hold identified by its holder token, for holders that have no handle in this
    /// process (the REST service). Returns false, changing nothing, when the token does not hold the lock.
    /// </summary>
    Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Releases a hold identified by its holder token. Returns false, changing nothing, when the token does not hold the lock.</summary>
    Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default);
}
