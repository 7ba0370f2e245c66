namespace Coord.Service.Locks;

/// <summary>A renewed hold.</summary>
/// <param name="ExpiresAt">UTC time until which the hold is certainly valid: measured from when the service sent the renewal, less a drift margin.</param>
public sealed record LockRenewalResponse(string Name, string Backend, long TtlMs, DateTimeOffset ExpiresAt);
