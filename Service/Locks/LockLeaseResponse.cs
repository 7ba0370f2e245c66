namespace Coord.Service.Locks;

/// <summary>A hold granted or renewed over HTTP. Keep <see cref="HolderToken"/> secret: it is what renews and releases the hold.</summary>
/// <param name="FencingToken">Decimal string (JSON numbers lose bits above 2^53); null where the backend issues none (redlock).</param>
/// <param name="ExpiresAt">UTC time until which the hold is certainly valid: measured from when the service sent the request, less a drift margin. Renew before it.</param>
public sealed record LockLeaseResponse(string Name, string Backend, string HolderToken, string? FencingToken, long TtlMs, DateTimeOffset ExpiresAt);
