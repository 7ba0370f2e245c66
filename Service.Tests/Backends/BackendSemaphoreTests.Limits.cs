using System.Diagnostics;
using System.Net;
using System.Text;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

public abstract partial class BackendSemaphoreTests
{
    /// <summary>The second instance where the backend has one (a permit renewed from another instance), else the first.</summary>
    protected SemaphoreApi B => new((Fixture.HostB ?? Fixture.HostA).Client, Fixture.BackendName);

    [Fact]
    public async Task Ttl_and_wait_are_accepted_at_their_limits_and_refused_one_past_each_and_at_overflowing_values()
    {
        var name = UniqueName("sem-limits");
        foreach (var (ttlMs, waitMs) in new[] { (TtlProperty.MinTtlMs, 0L), (TtlProperty.MaxTtlMs, 30_000L) })
        {
            var permit = await A.HoldAsync(name, maxCount: 1, ttlMs, waitMs);
            Assert.Equal(ttlMs, permit.TtlMs);
            using (await A.ReleaseAsync(name, permit.HolderToken)) { }
        }
        const string ttlRange = "ttlMs must be between 1000 and 3600000", waitRange = "waitMs must be between 0 and 30000";
        foreach (var (ttlMs, waitMs, expected) in new[]
        {
            (999L, 0L, ttlRange), (3_600_001L, 0L, ttlRange), (0L, 0L, ttlRange), (long.MaxValue, 0L, ttlRange), (long.MinValue, 0L, ttlRange),
            (10_000L, -1L, waitRange), (10_000L, 30_001L, waitRange), (10_000L, long.MaxValue, waitRange), (10_000L, long.MinValue, waitRange),
        })
        {
            using var refused = await A.AcquireAsync(name, maxCount: 1, ttlMs, waitMs);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // One past long: not a number the body can carry, refused as JSON before any range check.
        foreach (var field in new[] { "ttlMs", "waitMs" })
        {
            using var body = new StringContent($$"""{"maxCount":1,"{{field}}":9223372036854775808}""", Encoding.UTF8, "application/json");
            using var beyond = await Fixture.HostA.Client.PostAsync(A.Url(name), body);
            await ProblemAssert.IsProblemAsync(beyond, HttpStatusCode.BadRequest, "invalid_json");
        }

        // Granted for the longest TTL, so that both edges renew on every backend (etcd cannot lengthen a lease beyond its grant).
        var held = await A.HoldAsync(name, maxCount: 1, ttlMs: TtlProperty.MaxTtlMs);
        foreach (var bad in new[] { 999L, 3_600_001L, 0L, long.MaxValue, long.MinValue })
        {
            using var refused = await B.RenewAsync(name, held.HolderToken, bad);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains(ttlRange, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var edge in new[] { TtlProperty.MinTtlMs, TtlProperty.MaxTtlMs })
        {
            using var renewed = await B.RenewAsync(name, held.HolderToken, edge);
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        }
        // Nothing refused took a permit: the one permit is still the held one, and free once it is released.
        using (var full = await A.AcquireAsync(name, maxCount: 1))
            await ProblemAssert.IsProblemAsync(full, HttpStatusCode.Conflict, "semaphore_full");
        using (await A.ReleaseAsync(name, held.HolderToken)) { }
        var free = await A.HoldAsync(name, maxCount: 1, ttlMs: 10_000);
        using (await A.ReleaseAsync(name, free.HolderToken)) { }
    }

    [Fact]
    public async Task For_any_allowed_ttl_a_full_semaphore_refuses_another_client_until_the_permit_is_released_or_expires()
    {
        foreach (var ttlMs in TtlProperty.SampleMs(count: 5).Append(TtlProperty.MinTtlMs))
        {
            var name = UniqueName("sem-any-ttl");
            var asked = Stopwatch.GetTimestamp();
            var permit = await A.HoldAsync(name, maxCount: 1, ttlMs);
            Assert.Equal(ttlMs, permit.TtlMs);
            Task GiveBack(string token) => DisposeAsync(B.ReleaseAsync(name, token));
            await TtlProperty.AssertRefusedUnlessExpiredAsync(() => B.AcquireAsync(name, maxCount: 1), "semaphore_full", ttlMs, asked, GiveBack);

            var renewedAt = Stopwatch.GetTimestamp();
            using (var renewed = await B.RenewAsync(name, permit.HolderToken, ttlMs))
            {
                if (renewed.StatusCode == HttpStatusCode.OK)
                    await TtlProperty.AssertRefusedUnlessExpiredAsync(() => B.AcquireAsync(name, maxCount: 1), "semaphore_full", ttlMs, renewedAt, GiveBack);
                else
                    Assert.True(Stopwatch.GetElapsedTime(asked).TotalMilliseconds >= ttlMs, $"ttlMs {ttlMs}: renewing a live permit was refused: {(int)renewed.StatusCode}");
            }

            using (await A.ReleaseAsync(name, permit.HolderToken)) { }
            var next = await B.HoldAsync(name, maxCount: 1, ttlMs: 10_000);
            using (await B.ReleaseAsync(name, next.HolderToken)) { }
        }
    }

    private static async Task DisposeAsync(Task<HttpResponseMessage> response) => (await response).Dispose();
}
