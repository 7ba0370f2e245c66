using System.Net;
using Coord.Locks;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>The election routes over real HTTP against one real backend; inherited once per backend that serves them.</summary>
public abstract partial class BackendElectionTests(BackendServiceFixture fixture)
{
    private static readonly TimeSpan EventBound = TimeSpan.FromSeconds(20);

    protected BackendServiceFixture Fixture { get; } = fixture;
    protected ElectionApi A => new(Fixture.HostA.Client, Fixture.BackendName);

    /// <summary>The second instance where the backend has one (a leadership renewed or observed from another instance), else the first.</summary>
    protected ElectionApi B => new((Fixture.HostB ?? Fixture.HostA).Client, Fixture.BackendName);

    protected static string UniqueName(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    private ElectionApi Fresh(ServiceHost? host = null) => new((host ?? Fixture.HostA).NewClient(ServiceHost.ApiKey), Fixture.BackendName);

    [Fact]
    public async Task A_second_candidate_waits_and_is_elected_with_a_higher_term_once_the_leader_resigns()
    {
        var name = UniqueName("elect-cycle");
        Assert.False((await A.LeaderJsonAsync(name)).HasLeader);

        var first = await A.LeadAsync(name, "10.0.0.1:8080", ttlMs: 30_000);
        Assert.Equal("10.0.0.1:8080", first.Value);
        Assert.Equal(Fixture.BackendName, first.Backend);
        Assert.Matches("^[0-9a-f]{32}$", first.HolderToken);
        var leader = await B.LeaderJsonAsync(name);
        Assert.True(leader.HasLeader);
        Assert.Equal(("10.0.0.1:8080", first.Term), (leader.Value, leader.Term));

        using (var refused = await A.CampaignAsync(name, "10.0.0.2:8080", ttlMs: 30_000))
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict, "not_elected");
            Assert.Contains("led by another candidate", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        var waiting = Fresh().CampaignAsync(name, "10.0.0.2:8080", ttlMs: 30_000, waitMs: 20_000);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "a second candidate must wait while the first leads");

        // Renewed from the other instance where there is one: nothing ties a leadership to the instance that won it.
        using (var renewed = await B.RenewAsync(name, first.HolderToken, ttlMs: 30_000))
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.False(waiting.IsCompleted);
        using (var resigned = await B.ResignAsync(name, first.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, resigned.StatusCode);

        using var answer = await waiting;
        var second = await ElectionApi.Leadership.ReadAsync(answer);
        Assert.True(second.TermNumber > first.TermNumber, $"term {second.Term} after {first.Term}");
        Assert.Equal("10.0.0.2:8080", second.Value);
        leader = await A.LeaderJsonAsync(name);
        Assert.Equal(("10.0.0.2:8080", second.Term), (leader.Value, leader.Term));

        using (var again = await A.ResignAsync(name, first.HolderToken))
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "not_holder");
        using (var done = await A.ResignAsync(name, second.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, done.StatusCode);
        Assert.False((await A.LeaderJsonAsync(name)).HasLeader);
    }

    [Fact]
    public async Task Renew_and_resign_by_a_token_that_does_not_lead_are_refused_and_change_nothing()
    {
        var name = UniqueName("elect-wrong");
        var held = await A.LeadAsync(name, "leader", ttlMs: 30_000);
        var other = await A.LeadAsync(UniqueName("elect-other"), "elsewhere", ttlMs: 30_000);
        foreach (var wrong in new[] { new string('0', 32), other.HolderToken })
        {
            using (var renew = await A.RenewAsync(name, wrong, ttlMs: 30_000))
            {
                var problem = await ProblemAssert.IsProblemAsync(renew, HttpStatusCode.Conflict, "not_holder");
                Assert.DoesNotContain(wrong, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            using (var resign = await A.ResignAsync(name, wrong))
                await ProblemAssert.IsProblemAsync(resign, HttpStatusCode.Conflict, "not_holder");
        }
        using (var noHeader = await A.Client.PutAsync(A.Url(name), System.Net.Http.Json.JsonContent.Create(new { ttlMs = 30_000 })))
        {
            var problem = await ProblemAssert.IsProblemAsync(noHeader, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("Coord-Holder-Token header is required", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        var leader = await A.LeaderJsonAsync(name);
        Assert.Equal(("leader", held.Term), (leader.Value, leader.Term));
        using (var renewed = await A.RenewAsync(name, held.HolderToken, ttlMs: 30_000))
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        using (await A.ResignAsync(name, held.HolderToken)) { }
        using (await A.ResignAsync(other.Name, other.HolderToken)) { }
    }

    [Fact]
    public async Task Observe_streams_the_leader_and_each_new_one_in_order_with_rising_terms()
    {
        var name = UniqueName("elect-observe");
        var first = await A.LeadAsync(name, "first", ttlMs: 30_000);
        using var observer = Fixture.HostB?.NewClient(ServiceHost.ApiKey) ?? Fixture.HostA.NewClient(ServiceHost.ApiKey);
        observer.Timeout = Timeout.InfiniteTimeSpan;
        var api = new ElectionApi(observer, Fixture.BackendName);
        using var response = await observer.GetAsync(api.Url(name, "observe"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());

        var seen = new List<ElectionApi.Leader>();
        var now = await events.NextEventAsync(EventBound);
        Assert.Equal("leader", now?.Event);
        Assert.Equal(first.Term, now!.Id);
        seen.Add(now.Leader);

        var current = first;
        foreach (var value in new[] { "second", "third" })
        {
            var waiting = Fresh().CampaignAsync(name, value, ttlMs: 30_000, waitMs: 20_000);
            await Task.Delay(200);
            using (await A.ResignAsync(name, current.HolderToken)) { }
            using var answer = await waiting;
            current = await ElectionApi.Leadership.ReadAsync(answer);
            var next = await events.NextEventAsync(EventBound);
            Assert.Equal("leader", next?.Event);
            seen.Add(next!.Leader);
        }
        using (await A.ResignAsync(name, current.HolderToken)) { }

        Assert.Equal(["first", "second", "third"], seen.Select(l => l.Value));
        Assert.All(seen, l => Assert.True(l.HasLeader));
        Assert.Equal(current.Term, seen[^1].Term);
        for (var i = 1; i < seen.Count; i++)
            Assert.True(seen[i].TermNumber > seen[i - 1].TermNumber, $"terms {seen[i - 1].Term} then {seen[i].Term}");
    }

    [Fact]
    public async Task Observe_sends_keep_alive_comments_while_nothing_changes_and_its_interval_is_bounded()
    {
        var name = UniqueName("elect-keepalive");
        using var observer = Fixture.HostA.NewClient(ServiceHost.ApiKey);
        observer.Timeout = Timeout.InfiniteTimeSpan;
        var api = new ElectionApi(observer, Fixture.BackendName);
        using (var response = await observer.GetAsync(api.Url(name, "observe", "keepAliveMs=100"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());
            var opening = await events.NextAsync(EventBound);
            Assert.StartsWith("observing election", opening?.Comment, StringComparison.Ordinal);
            // No leader: nothing but keep-alives.
            for (var i = 0; i < 3; i++)
                Assert.Equal("keep-alive", (await events.NextAsync(EventBound))?.Comment);
        }
        using (var longest = await observer.GetAsync(api.Url(name, "observe", "keepAliveMs=60000"), HttpCompletionOption.ResponseHeadersRead))
            Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
        foreach (var bad in new[] { 99L, 60_001L, 0L, -1L })
        {
            using var response = await observer.GetAsync(api.Url(name, "observe", $"keepAliveMs={bad}"));
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("keepAliveMs must be between 100 and 60000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_observation_ends_on_the_service_when_its_client_goes_away()
    {
        var name = UniqueName("elect-hangup");
        var marker = name[(name.IndexOf('/') + 1)..];
        var leader = await A.LeadAsync(name, "still-here", ttlMs: 30_000);
        using var finished = new FinishedRequests();
        using (var observer = Fixture.HostA.NewClient(ServiceHost.ApiKey))
        {
            observer.Timeout = Timeout.InfiniteTimeSpan;
            using var hangUp = new CancellationTokenSource();
            var api = new ElectionApi(observer, Fixture.BackendName);
            var response = await observer.GetAsync(api.Url(name, "observe"), HttpCompletionOption.ResponseHeadersRead, hangUp.Token);
            using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync(hangUp.Token));
            Assert.Equal(leader.Term, (await events.NextEventAsync(EventBound))?.Id);
            Assert.False(finished.Finished(marker), "the observation must run while its client listens");

            await hangUp.CancelAsync();
            response.Dispose();
        }
        // The leader is still in office, so nothing but the client's going away can have ended the handler.
        Assert.True(await finished.FinishedAsync(marker, TimeSpan.FromSeconds(20)), "the observation's handler did not return after its client went away");
        Assert.Equal(leader.Term, (await A.LeaderJsonAsync(name)).Term);
        using (await A.ResignAsync(name, leader.HolderToken)) { }
    }

    [Fact]
    public async Task A_waiting_campaign_taken_back_by_its_attempt_id_holds_no_place_once_the_cancel_is_answered()
    {
        var name = UniqueName("elect-take-back");
        var holder = await A.LeadAsync(name, "holder", ttlMs: 30_000);
        var attemptId = LockApi.NewAttemptId();
        var waiting = Fresh().CampaignAsync(name, "quitter", ttlMs: 30_000, waitMs: 25_000, attemptId: attemptId);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        using (var cancelled = await new LockApi(Fixture.HostA.Client).CancelAttemptAsync(attemptId))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        using (await A.ResignAsync(name, holder.HolderToken)) { }
        var next = await A.LeadAsync(name, "next", ttlMs: 10_000);
        Assert.True(next.TermNumber > holder.TermNumber);

        using (var answer = await waiting)
            await ProblemAssert.IsProblemAsync(answer, HttpStatusCode.Conflict, "attempt_cancelled");
        using (await A.ResignAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task A_leadership_nobody_renews_ends_after_its_ttl_and_the_waiting_candidate_is_elected()
    {
        var name = UniqueName("elect-expire");
        var gone = await A.LeadAsync(name, "silent", ttlMs: 1_000);
        var next = await Fresh().LeadAsync(name, "next", ttlMs: 30_000, waitMs: 15_000);
        Assert.True(next.TermNumber > gone.TermNumber);
        using (var late = await A.RenewAsync(name, gone.HolderToken, ttlMs: 30_000))
            await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "not_holder");
        using (await A.ResignAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task The_value_is_required_and_accepted_up_to_its_byte_limit()
    {
        var name = UniqueName("elect-value");
        using (var missing = await A.CampaignAsync(name, value: null))
        {
            var problem = await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("value is required", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        var max = LeaderElectionProvider.MaximumValueBytes;
        foreach (var edge in new[] { "", new string('v', max), string.Concat(Enumerable.Repeat("é", max / 2)) })
        {
            var leadership = await A.LeadAsync(name, edge, ttlMs: 30_000);
            Assert.Equal(edge, leadership.Value);
            Assert.Equal(edge, (await B.LeaderJsonAsync(name)).Value);
            using (await A.ResignAsync(name, leadership.HolderToken)) { }
        }
        foreach (var over in new[] { new string('v', max + 1), string.Concat(Enumerable.Repeat("é", max / 2)) + "v" })
        {
            using var refused = await A.CampaignAsync(name, over);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains($"at most {max} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.False((await A.LeaderJsonAsync(name)).HasLeader);
    }

    [Fact]
    public async Task Ttl_and_wait_are_accepted_at_their_limits_and_refused_beyond()
    {
        var name = UniqueName("elect-limits");
        foreach (var (ttlMs, waitMs) in new[] { (1_000L, 0L), (3_600_000L, 30_000L) })
        {
            var leadership = await A.LeadAsync(name, "edge", ttlMs, waitMs);
            Assert.Equal(ttlMs, leadership.TtlMs);
            using (await A.ResignAsync(name, leadership.HolderToken)) { }
        }
        foreach (var (ttlMs, waitMs, expected) in new[]
        {
            (999L, 0L, "ttlMs must be between 1000 and 3600000"),
            (3_600_001L, 0L, "ttlMs must be between 1000 and 3600000"),
            (10_000L, -1L, "waitMs must be between 0 and 30000"),
            (10_000L, 30_001L, "waitMs must be between 0 and 30000"),
        })
        {
            using var refused = await A.CampaignAsync(name, "out", ttlMs, waitMs);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Granted for the longest TTL, so that both edges renew on every backend (etcd cannot lengthen a lease beyond its grant).
        var held = await A.LeadAsync(name, "renewed", ttlMs: 3_600_000);
        foreach (var bad in new[] { 999L, 3_600_001L })
        {
            using var refused = await A.RenewAsync(name, held.HolderToken, bad);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
        }
        foreach (var edge in new[] { 1_000L, 3_600_000L })
        {
            using var renewed = await A.RenewAsync(name, held.HolderToken, edge);
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        }
        using (await A.ResignAsync(name, held.HolderToken)) { }
        Assert.False((await A.LeaderJsonAsync(name)).HasLeader);
    }

    [Fact]
    public async Task Names_are_accepted_up_to_256_characters_with_slashes_and_never_end_in_an_action_word()
    {
        var longest = "n/" + new string('x', 254);
        var leadership = await A.LeadAsync(longest, "long", ttlMs: 10_000);
        Assert.Equal(longest, leadership.Name);
        Assert.Equal("long", (await A.LeaderJsonAsync(longest)).Value);
        using (await A.ResignAsync(longest, leadership.HolderToken)) { }

        using (var tooLong = await A.CampaignAsync(longest + "x", "v"))
        {
            var problem = await ProblemAssert.IsProblemAsync(tooLong, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("256", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var word in new[] { "campaign", "observe" })
        {
            using (var campaign = await A.CampaignAsync("jobs/" + word, "v"))
            {
                var problem = await ProblemAssert.IsProblemAsync(campaign, HttpStatusCode.BadRequest, "invalid_request");
                Assert.Contains("cannot be 'campaign' or 'observe'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            using (var resign = await A.ResignAsync("jobs/" + word, new string('0', 32)))
                await ProblemAssert.IsProblemAsync(resign, HttpStatusCode.BadRequest, "invalid_request");
        }
        using (var readCampaign = await A.LeaderAsync("jobs/campaign"))
            await ProblemAssert.IsProblemAsync(readCampaign, HttpStatusCode.BadRequest, "invalid_request");

        // '/' raw or as %2F names the same election; %2F is how the documented {name}/campaign route takes a name with slashes.
        var encoded = "/v1/elections/" + Uri.EscapeDataString("jobs/nightly") + "/campaign?backend=" + Fixture.BackendName;
        var viaEncoded = await ElectionApi.Leadership.ReadAsync(await A.Client.PostAsync(encoded, System.Net.Http.Json.JsonContent.Create(new { value = "encoded", ttlMs = 10_000 })));
        Assert.Equal("jobs/nightly", viaEncoded.Name);
        Assert.Equal(("encoded", viaEncoded.Term), ((await A.LeaderJsonAsync("jobs/nightly")).Value, (await A.LeaderJsonAsync("jobs/nightly")).Term));
        using (await A.ResignAsync("jobs/nightly", viaEncoded.HolderToken)) { }
        using (var bare = await A.Client.PostAsync(A.Url("jobs/nightly"), System.Net.Http.Json.JsonContent.Create(new { value = "v" })))
        {
            var problem = await ProblemAssert.IsProblemAsync(bare, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("/campaign", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var unknownField = await A.Client.PostAsync(A.Url("jobs/nightly", "campaign"), System.Net.Http.Json.JsonContent.Create(new { value = "v", ttl = 5 })))
            await ProblemAssert.IsProblemAsync(unknownField, HttpStatusCode.BadRequest, "invalid_json");
    }
}
