using System.Diagnostics;
using System.Net;
using System.Text;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

public abstract partial class BackendElectionTests
{
    [Fact]
    public async Task Ttl_wait_and_keep_alive_values_that_overflow_careless_arithmetic_are_refused_and_take_nothing()
    {
        var name = UniqueName("elect-overflow");
        const string ttlRange = "ttlMs must be between 1000 and 3600000", waitRange = "waitMs must be between 0 and 30000";
        foreach (var (ttlMs, waitMs, expected) in new[]
        {
            (0L, 0L, ttlRange), (long.MaxValue, 0L, ttlRange), (long.MinValue, 0L, ttlRange),
            (10_000L, long.MaxValue, waitRange), (10_000L, long.MinValue, waitRange),
        })
        {
            using var refused = await A.CampaignAsync(name, "out", ttlMs, waitMs);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var field in new[] { "ttlMs", "waitMs" })
        {
            using var body = new StringContent($$"""{"value":"v","{{field}}":9223372036854775808}""", Encoding.UTF8, "application/json");
            using var beyond = await Fixture.HostA.Client.PostAsync(A.Url(name, "campaign"), body);
            await ProblemAssert.IsProblemAsync(beyond, HttpStatusCode.BadRequest, "invalid_json");
        }
        foreach (var keepAlive in new[] { long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "9223372036854775808", long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            using var response = await A.Client.GetAsync(A.Url(name, "observe", $"keepAliveMs={keepAlive}"));
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("keepAliveMs", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var held = await A.LeadAsync(name, "held", ttlMs: TtlProperty.MaxTtlMs);
        foreach (var bad in new[] { 0L, long.MaxValue, long.MinValue })
        {
            using var refused = await B.RenewAsync(name, held.HolderToken, bad);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains(ttlRange, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal("held", (await B.LeaderJsonAsync(name)).Value);
        using (await A.ResignAsync(name, held.HolderToken)) { }
        Assert.False((await A.LeaderJsonAsync(name)).HasLeader);
    }

    [Fact]
    public async Task For_any_allowed_ttl_another_candidate_is_refused_until_the_leader_resigns_or_its_leadership_expires()
    {
        foreach (var ttlMs in TtlProperty.SampleMs(count: 5).Append(TtlProperty.MinTtlMs))
        {
            var name = UniqueName("elect-any-ttl");
            var asked = Stopwatch.GetTimestamp();
            var leader = await A.LeadAsync(name, "a", ttlMs);
            Assert.Equal(ttlMs, leader.TtlMs);
            Task GiveBack(string token) => DisposeAsync(B.ResignAsync(name, token));
            await TtlProperty.AssertRefusedUnlessExpiredAsync(() => B.CampaignAsync(name, "b"), "not_elected", ttlMs, asked, GiveBack);

            var renewedAt = Stopwatch.GetTimestamp();
            using (var renewed = await B.RenewAsync(name, leader.HolderToken, ttlMs))
            {
                if (renewed.StatusCode == HttpStatusCode.OK)
                    await TtlProperty.AssertRefusedUnlessExpiredAsync(() => B.CampaignAsync(name, "b"), "not_elected", ttlMs, renewedAt, GiveBack);
                else
                    Assert.True(Stopwatch.GetElapsedTime(asked).TotalMilliseconds >= ttlMs, $"ttlMs {ttlMs}: renewing a live leadership was refused: {(int)renewed.StatusCode}");
            }

            using (await A.ResignAsync(name, leader.HolderToken)) { }
            var next = await B.LeadAsync(name, "b", ttlMs: 10_000);
            using (await B.ResignAsync(name, next.HolderToken)) { }
        }
    }

    private static async Task DisposeAsync(Task<HttpResponseMessage> response) => (await response).Dispose();
}
