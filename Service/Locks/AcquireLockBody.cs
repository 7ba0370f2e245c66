using System.Text.Json.Serialization;

namespace Coord.Service.Locks;

/// <summary>Body of <c>POST /v1/locks/{name}</c>; every field is optional and the body may be empty.</summary>
/// <param name="TtlMs">Lease length in milliseconds (default 15,000; bounded by Coord:Limits:MinTtl..MaxTtl).</param>
/// <param name="WaitMs">How long to wait for the lock in milliseconds (default 0: answer at once; at most Coord:Limits:MaxWait).</param>
/// <param name="AttemptId">
/// A fresh random id for this request (1 to 64 characters from A-Z, a-z, 0-9, '-', '_'), so that the client can take
/// the acquire back with <c>DELETE /v1/lock-attempts/{attemptId}</c> if it gives up before the answer arrives.
/// </param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AcquireLockBody(long? TtlMs = null, long? WaitMs = null, string? AttemptId = null);
