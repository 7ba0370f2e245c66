using System.Diagnostics;
using System.Net;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>
/// The REST side of "test the limits": a seeded sample of allowed TTLs (log-uniform in whole milliseconds, so
/// short and long ones are drawn about equally often, the same on every run), and the property checked for
/// each: while a lease of that TTL lives, another client's attempt answers 409; one that wins anyway must
/// have come after the TTL had passed since the lease was asked for.
/// </summary>
public static class TtlProperty
{
    public const int Seed = 20261128;

    /// <summary>The service's default bounds (Coord:Limits:MinTtl and MaxTtl) in ms.</summary>
    public const long MinTtlMs = 1_000, MaxTtlMs = 3_600_000;

    public static IEnumerable<long> SampleMs(int count, long minMs = MinTtlMs, long maxMs = MaxTtlMs)
    {
        var random = new Random(Seed);
        for (var i = 0; i < count; i++)
        {
            var exponent = Math.Log(minMs) + random.NextDouble() * (Math.Log(maxMs) - Math.Log(minMs));
            yield return Math.Clamp((long)Math.Round(Math.Exp(exponent)), minMs, maxMs);
        }
    }

    /// <summary>
    /// Sends <paramref name="attempt"/> once: a 409 with <paramref name="refusedCode"/> passes; a 200 passes only once
    /// <paramref name="ttlMs"/> has passed since <paramref name="askedTimestamp"/>, and is given back with <paramref name="giveBack"/>.
    /// </summary>
    public static async Task AssertRefusedUnlessExpiredAsync(Func<Task<HttpResponseMessage>> attempt, string refusedCode, long ttlMs, long askedTimestamp, Func<string, Task> giveBack)
    {
        using var response = await attempt();
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var since = Stopwatch.GetElapsedTime(askedTimestamp);
            var body = await response.Content.ReadAsStringAsync();
            await giveBack(System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("holderToken").GetString()!);
            Assert.True(since.TotalMilliseconds >= ttlMs, $"ttlMs {ttlMs}: another client got in {since.TotalMilliseconds:0} ms after the first asked: two holders");
            return;
        }
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, refusedCode);
    }
}
