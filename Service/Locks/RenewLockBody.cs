using System.Text.Json.Serialization;

namespace Coord.Service.Locks;

/// <summary>Body of <c>PUT /v1/locks/{name}</c> (renew). The holder token travels in the <c>Coord-Holder-Token</c> header.</summary>
/// <param name="TtlMs">
/// Required: the lease length from now, normally the <c>ttlMs</c> acquire returned. Required rather than
/// defaulted because etcd cannot make a lease longer than it was granted, so a silent default could
/// fail on one backend and not another.
/// </param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RenewLockBody(long? TtlMs = null);
