using System.Text.Json.Serialization;

namespace Coord.Service.Semaphores;

/// <summary>Body of <c>POST /v1/semaphores/{name}</c>.</summary>
/// <param name="MaxCount">Required: how many permits the name has, 1 to 2147483647; every client of the name must send the same.</param>
/// <param name="TtlMs">Lease length in milliseconds (default 15,000; bounded by Coord:Limits:MinTtl..MaxTtl).</param>
/// <param name="WaitMs">How long to wait for a permit in milliseconds (default 0: answer at once; at most Coord:Limits:MaxWait).</param>
/// <param name="AttemptId">As for a lock: a fresh id per request, so that <c>DELETE /v1/lock-attempts/{attemptId}</c> can take the acquire back.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AcquirePermitBody(int? MaxCount = null, long? TtlMs = null, long? WaitMs = null, string? AttemptId = null);
