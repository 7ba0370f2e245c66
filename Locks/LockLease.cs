namespace Coord.Locks;

/// <summary>
/// A hold without a handle: nothing renews it in this process, so it ends at its TTL unless its owner
/// renews it by token. What the REST service hands to clients that renew over HTTP.
/// </summary>
/// <param name="Name">The lock name.</param>
/// <param name="HolderToken">Secret that renews and releases the hold (<see cref="ILockLeases.RenewAsync"/>, <see cref="ILockLeases.ReleaseAsync"/>); give it only to the holder.</param>
/// <param name="FencingToken">Null where the backend issues no fencing tokens.</param>
/// <param name="Ttl">Lease length granted.</param>
/// <param name="ValidUntil">Local time until which the hold is safe, already reduced by the drift margin.</param>
public sealed record LockLease(string Name, string HolderToken, long? FencingToken, TimeSpan Ttl, DateTimeOffset ValidUntil)
{
    /// <summary>Everything but the holder token, which is a secret and so never reaches a log line through this text.</summary>
    public override string ToString() => $"LockLease {{ Name = {Name}, FencingToken = {FencingToken}, Ttl = {Ttl}, ValidUntil = {ValidUntil:O} }}";
}
