using Coord.Client.Tests.Infrastructure;
using Coord.Locks;

namespace Coord.Client.Tests.Elections;

/// <summary>
/// <see cref="CoordClient.Elections"/> against the service as a separate process, the election contract's core as the
/// client sees it: one leader at a time, terms rising with each new leader, a campaign that waits, observe in order,
/// a leadership that renews itself past its TTL. Each client has its own connections, as separate processes would.
/// </summary>
public abstract class ServiceElectionTests(ServiceFixture fixture) : IAsyncLifetime
{
    private readonly List<CoordClient> _clients = [];

    private CoordClient NewClient()
    {
        var client = fixture.NewClient();
        _clients.Add(client);
        return client;
    }

    private static string UniqueName(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task A_second_candidate_waits_and_wins_with_a_higher_term_once_the_leader_resigns()
    {
        var name = UniqueName("client-elect");
        var first = NewClient().Elections;
        var second = NewClient().Elections;
        var leading = await first.CampaignAsync(name, "first", ttl: TimeSpan.FromSeconds(30));
        Assert.Equal(new ElectionLeader(name, "first", leading.Term), await second.GetLeaderAsync(name));
        Assert.Null(await second.TryCampaignAsync(name, "second"));

        var waiting = second.CampaignAsync(name, "second", wait: TimeSpan.FromSeconds(20), ttl: TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "a second candidate must wait while the first leads");
        await leading.ResignAsync();
        await using var next = await waiting;
        Assert.True(next.Term > leading.Term, $"term {next.Term} after {leading.Term}");
        Assert.Equal(new ElectionLeader(name, "second", next.Term), await first.GetLeaderAsync(name));
        await next.ResignAsync();
        Assert.Null(await first.GetLeaderAsync(name));
    }

    [Fact]
    public async Task Not_elected_within_the_wait_throws_naming_the_election_and_leaves_no_candidate()
    {
        var name = UniqueName("client-timeout");
        var elections = NewClient().Elections;
        await using var leading = await elections.CampaignAsync(name, "holder", ttl: TimeSpan.FromSeconds(30));
        var timeout = await Assert.ThrowsAsync<CampaignTimeoutException>(() => NewClient().Elections.CampaignAsync(name, "late", wait: TimeSpan.FromMilliseconds(300)));
        Assert.Contains(name, timeout.Message, StringComparison.Ordinal);
        await leading.ResignAsync();
        // Had the late candidacy stayed in line, it would lead now.
        Assert.Null(await elections.GetLeaderAsync(name));
    }

    [Fact]
    public async Task Observe_streams_the_leader_and_each_new_one_in_order_until_cancelled()
    {
        var name = UniqueName("client-observe");
        var observer = NewClient().Elections;
        var candidates = new[] { NewClient().Elections, NewClient().Elections, NewClient().Elections };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<ElectionLeader>();
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observing = Task.Run(async () =>
        {
            await foreach (var leader in observer.ObserveAsync(name, stop.Token))
            {
                lock (seen)
                    seen.Add(leader);
                firstSeen.TrySetResult();
            }
        });

        var terms = new List<long>();
        ILeadership? current = null;
        for (var i = 0; i < candidates.Length; i++)
        {
            var campaign = candidates[i].CampaignAsync(name, $"leader-{i}", wait: TimeSpan.FromSeconds(20), ttl: TimeSpan.FromSeconds(30));
            if (current is not null)
            {
                await Task.Delay(200);
                await current.ResignAsync();
            }
            current = await campaign;
            terms.Add(current.Term);
            if (i == 0)
                await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && seen.Count < candidates.Length)
            await Task.Delay(50);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => observing.WaitAsync(TimeSpan.FromSeconds(20)));
        await current!.ResignAsync();

        lock (seen)
        {
            Assert.Equal(["leader-0", "leader-1", "leader-2"], seen.Select(l => l.Value));
            Assert.Equal(terms, seen.Select(l => l.Term));
        }
        Assert.True(terms[0] < terms[1] && terms[1] < terms[2], string.Join(", ", terms));
    }

    [Fact]
    public async Task A_leadership_renews_itself_past_several_ttls()
    {
        var name = UniqueName("client-renew");
        var elections = NewClient().Elections;
        await using var leading = await elections.CampaignAsync(name, "steady", ttl: TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.False(leading.IsLost);
        Assert.Equal(leading.Term, (await NewClient().Elections.GetLeaderAsync(name))?.Term);
    }

    [Fact]
    public async Task Proclaim_is_refused_as_not_supported_and_changes_nothing()
    {
        var name = UniqueName("client-proclaim");
        var elections = NewClient().Elections;
        await using var leading = await elections.CampaignAsync(name, "before", ttl: TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<NotSupportedException>(() => leading.ProclaimAsync("after"));
        Assert.Equal("before", (await elections.GetLeaderAsync(name))?.Value);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }
}
