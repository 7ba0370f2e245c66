using System.Text.Json.Serialization;

namespace Coord.Service.Locks;

/// <summary>Body of <c>PUT /v1/locks/{name}</c> (renew); optional. The holder token travels in the <c>Coord-Holder-Token</c> header.</summary>
/// <param name="TtlMs">New lease length in milliseconds from now (default: the service's default TTL).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RenewLockBody(long? TtlMs = null);
