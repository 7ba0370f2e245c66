using System.Text.Json.Serialization;

namespace Coord.Service.Elections;

/// <summary>Body of <c>POST /v1/elections/{name}/campaign</c>.</summary>
/// <param name="Value">Required: what this candidate announces once elected, such as its address; at most 4096 bytes as UTF-8 (empty is allowed).</param>
/// <param name="TtlMs">Lease length in milliseconds (default 15,000; bounded by Coord:Limits:MinTtl..MaxTtl). The client renews the leadership (PUT) before it runs out.</param>
/// <param name="WaitMs">How long to wait to be elected in milliseconds (default 0: answer at once; at most Coord:Limits:MaxWait).</param>
/// <param name="AttemptId">As for a lock: a fresh id per request, so that <c>DELETE /v1/lock-attempts/{attemptId}</c> can take the campaign back.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CampaignBody(string? Value = null, long? TtlMs = null, long? WaitMs = null, string? AttemptId = null);
