using System.Text.Json.Serialization;

namespace Coord.Service.Locks;

/// <summary>Body of <c>POST /v1/locks/{name}</c>; every field is optional and the body may be empty.</summary>
/// <param name="TtlMs">Lease length in milliseconds (default 15,000; bounded by Coord:Limits:MinTtl..MaxTtl).</param>
/// <param name="WaitMs">How long to wait for the lock in milliseconds (default 0: answer at once; at most Coord:Limits:MaxWait).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AcquireLockBody(long? TtlMs = null, long? WaitMs = null);
