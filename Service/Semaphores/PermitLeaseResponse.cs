namespace Coord.Service.Semaphores;

/// <summary>A permit granted over HTTP. Keep <see cref="HolderToken"/> secret: it is what renews and releases the permit.</summary>
/// <param name="FencingToken">Decimal string; rises with every permit granted of the name (several holders at once each have their own).</param>
/// <param name="MaxCount">The permits of the name, as the request gave them.</param>
/// <param name="ExpiresAt">UTC time until which the permit is certainly valid: measured from when the service sent the request, less a drift margin. Renew before it.</param>
public sealed record PermitLeaseResponse(string Name, string Backend, string HolderToken, string? FencingToken, int MaxCount, long TtlMs, DateTimeOffset ExpiresAt);
