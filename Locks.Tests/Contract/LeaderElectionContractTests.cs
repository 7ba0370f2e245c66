using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

/// <summary>
/// The leader-election contract, run once per backend: a backend is done when its subclass passes all of it.
/// Each test uses a fresh election; separate clients (providers with their own connections) stand in for
/// separate processes.
/// </summary>
public abstract partial class LeaderElectionContractTests : IAsyncLifetime
{
    private readonly List<LeaderElectionProvider> _clients = [];

    /// <summary>A new client with its own connections to the backend.</summary>
    protected abstract Task<LeaderElectionProvider> CreateClientCoreAsync();

    /// <summary>Ends the current leadership of <paramref name="election"/> directly on the backend, behind the leader's back.</summary>
    protected abstract Task TakeAwayAsync(string election);

    /// <summary>How many candidates (the leader included) the backend has for <paramref name="election"/>.</summary>
    protected abstract Task<int> CandidatesAsync(string election);

    /// <summary>A TTL short enough to watch expiry in a test, long enough for the backend to accept it.</summary>
    protected virtual TimeSpan ShortTtl => TimeSpan.FromSeconds(2);

    /// <summary>Bound for things that must simply not hang; generous because the CI machine is small and shared.</summary>
    protected static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);

    protected async Task<LeaderElectionProvider> CreateClientAsync()
    {
        var client = await CreateClientCoreAsync();
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    protected static string NewElection(string hint = "election") => $"contract/{hint}/{Guid.NewGuid():N}";

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        LeaderElectionProvider[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }

    /// <summary>Waits (by looking again, bounded) until the backend shows <paramref name="count"/> candidates.</summary>
    protected async Task UntilCandidatesAsync(string election, int count)
    {
        var deadline = DateTime.UtcNow + NoHang;
        int candidates;
        while ((candidates = await CandidatesAsync(election)) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{election}' had {candidates} candidates, not {count}");
            await Task.Delay(10);
        }
    }

    /// <summary>The next leader an observation reports, within <see cref="NoHang"/>.</summary>
    protected static async Task<ElectionLeader> NextAsync(IAsyncEnumerator<ElectionLeader> observed)
    {
        Assert.True(await observed.MoveNextAsync().AsTask().WaitAsync(NoHang), "the observation ended");
        return observed.Current;
    }

    [Fact]
    public async Task One_leader_at_a_time_under_contention_and_terms_rise_with_every_new_leader()
    {
        const int clientCount = 3, candidates = 9, rounds = 4;
        var election = NewElection("contention");
        var clients = new LeaderElectionProvider[clientCount];
        for (var i = 0; i < clientCount; i++)
            clients[i] = await CreateClientAsync();

        var leading = new OverlapDetector();
        var terms = new List<long>();

        async Task Campaign(LeaderElectionProvider client, int who)
        {
            for (var r = 0; r < rounds; r++)
            {
                await using var leadership = await client.CampaignAsync(election, $"candidate-{who}", wait: NoHang * 2, ttl: TimeSpan.FromSeconds(10));
                leading.Enter();
                // Recorded while leading, so the list is in the order leaders took office.
                lock (terms)
                    terms.Add(leadership.Term);
                // Lead long enough that a second leader would be seen.
                await Task.Delay(15);
                leading.Leave();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, candidates).Select(i => Task.Run(() => Campaign(clients[i % clientCount], i))));

        Assert.Equal(0, leading.Overlaps);
        Assert.Equal(candidates * rounds, terms.Count);
        for (var i = 1; i < terms.Count; i++)
            Assert.True(terms[i] > terms[i - 1], $"leader {i} took office with term {terms[i]}, not above its predecessor's {terms[i - 1]}");
        Assert.Null(await clients[0].GetLeaderAsync(election));
    }

    [Fact]
    public async Task A_campaign_waits_while_another_leads_and_wins_when_the_leader_resigns()
    {
        var election = NewElection("resign");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var first = await a.CampaignAsync(election, "a", ttl: TimeSpan.FromSeconds(30));
        Assert.Equal(election, first.Election);
        Assert.Equal("a", first.Value);

        var waiting = b.CampaignAsync(election, "b", wait: NoHang, ttl: TimeSpan.FromSeconds(30));
        await UntilCandidatesAsync(election, 2);
        Assert.Null(await a.TryCampaignAsync(election, "a-again"));
        Assert.Null(await b.TryCampaignAsync(election, "b-again", wait: TimeSpan.FromMilliseconds(200)));
        Assert.False(waiting.IsCompleted, "a second candidate was elected while the first led");
        Assert.Equal(new ElectionLeader(election, "a", first.Term), await b.GetLeaderAsync(election));

        await first.ResignAsync();
        await using var second = await waiting.WaitAsync(NoHang);
        Assert.Equal("b", second.Value);
        Assert.True(second.Term > first.Term, $"the new leader's term {second.Term} is not above the old one's {first.Term}");
        Assert.Equal(new ElectionLeader(election, "b", second.Term), await a.GetLeaderAsync(election));
        Assert.False(first.IsLost, "a resigned leadership reported itself lost");
    }

    [Fact]
    public async Task Proclaim_changes_the_value_everyone_sees_but_not_the_term()
    {
        var election = NewElection("proclaim");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        Assert.Null(await b.GetLeaderAsync(election));

        await using var leadership = await a.CampaignAsync(election, "10.0.0.1:80");
        await leadership.ProclaimAsync("10.0.0.2:80");
        Assert.Equal("10.0.0.2:80", leadership.Value);
        Assert.Equal(new ElectionLeader(election, "10.0.0.2:80", leadership.Term), await b.GetLeaderAsync(election));

        await leadership.ResignAsync();
        Assert.Null(await b.GetLeaderAsync(election));
        var resigned = await Assert.ThrowsAsync<NotLeaderException>(() => leadership.ProclaimAsync("10.0.0.3:80"));
        Assert.Equal(election, resigned.Election);
        Assert.Equal("10.0.0.2:80", leadership.Value);
        Assert.Null(await b.GetLeaderAsync(election));
    }

    [Fact]
    public async Task Observe_reports_the_current_leader_on_subscribe_and_then_every_change_in_order()
    {
        var election = NewElection("observe");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var watcher = await CreateClientAsync();
        using var stop = new CancellationTokenSource();

        var first = await a.CampaignAsync(election, "a1", ttl: TimeSpan.FromSeconds(30));
        await using var observed = watcher.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.Equal(new ElectionLeader(election, "a1", first.Term), await NextAsync(observed));

        await first.ProclaimAsync("a2");
        Assert.Equal(new ElectionLeader(election, "a2", first.Term), await NextAsync(observed));

        var waiting = b.CampaignAsync(election, "b", wait: NoHang, ttl: TimeSpan.FromSeconds(30));
        await UntilCandidatesAsync(election, 2);
        await first.ResignAsync();
        var second = await waiting.WaitAsync(NoHang);
        Assert.Equal(new ElectionLeader(election, "b", second.Term), await NextAsync(observed));

        // A stretch with no leader is not reported; the next leader is.
        await second.ResignAsync();
        var third = await c.CampaignAsync(election, "c", ttl: TimeSpan.FromSeconds(30));
        var next = await NextAsync(observed);
        Assert.Equal(new ElectionLeader(election, "c", third.Term), next);
        Assert.True(third.Term > second.Term && second.Term > first.Term);

        // Nothing else happened: nothing else is reported.
        var more = observed.MoveNextAsync().AsTask();
        await Task.Delay(300);
        Assert.False(more.IsCompleted, $"an observer reported a change nobody made: {(more.IsCompletedSuccessfully ? observed.Current : null)}");
        await third.ResignAsync();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => more.WaitAsync(NoHang));
    }

    [Fact]
    public async Task Observe_with_nobody_leading_waits_for_the_first_leader()
    {
        var election = NewElection("observe-empty");
        var a = await CreateClientAsync();
        var watcher = await CreateClientAsync();
        using var stop = new CancellationTokenSource();
        await using var observed = watcher.ObserveAsync(election, stop.Token).GetAsyncEnumerator(stop.Token);
        var first = observed.MoveNextAsync().AsTask();
        await Task.Delay(300);
        Assert.False(first.IsCompleted, "an observer reported a leader before anyone campaigned");

        await using var leadership = await a.CampaignAsync(election, "a");
        Assert.True(await first.WaitAsync(NoHang));
        Assert.Equal(new ElectionLeader(election, "a", leadership.Term), observed.Current);
    }

    [Fact]
    public async Task Observers_see_the_same_leaders_in_the_same_order_as_leadership_changes_hands()
    {
        var election = NewElection("observe-many");
        var clients = new LeaderElectionProvider[3];
        for (var i = 0; i < clients.Length; i++)
            clients[i] = await CreateClientAsync();
        var watchers = new[] { await CreateClientAsync(), await CreateClientAsync() };
        using var stop = new CancellationTokenSource();
        var seen = watchers.Select(_ => new List<ElectionLeader>()).ToArray();
        var observers = watchers.Select((w, i) => Task.Run(async () =>
        {
            try
            {
                await foreach (var leader in w.ObserveAsync(election, stop.Token))
                {
                    lock (seen[i])
                        seen[i].Add(leader);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        await Task.Delay(200); // both subscribed before anyone campaigns

        var terms = new List<long>();
        for (var round = 0; round < 6; round++)
        {
            await using var leadership = await clients[round % clients.Length].CampaignAsync(election, $"leader-{round}", wait: NoHang);
            terms.Add(leadership.Term);
            // Each observer reports this leader before it resigns.
            foreach (var list in seen)
                await UntilAsync(() => { lock (list) return list.Count == round + 1; });
        }
        await stop.CancelAsync();
        await Task.WhenAll(observers).WaitAsync(NoHang);

        var expected = terms.Select((t, round) => new ElectionLeader(election, $"leader-{round}", t)).ToArray();
        Assert.Equal(expected, seen[0]);
        Assert.Equal(expected, seen[1]);
    }

    protected static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < NoHang, "a condition did not come true in time");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task An_abandoned_leader_hears_Lost_when_its_TTL_runs_out_and_a_waiting_candidate_wins_with_a_higher_term()
    {
        var election = NewElection("expire");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var first = await a.CampaignAsync(election, "a", ttl: ShortTtl);
        StoppedRenewals.Of(a, first);

        var clock = Stopwatch.StartNew();
        await using var second = await b.CampaignAsync(election, "b", wait: ShortTtl * 3 + NoHang, ttl: TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed > ShortTtl / 4, $"the abandoned leadership passed on after only {clock.Elapsed}");
        // Its validity ended (drift margin included) before the backend's lease did.
        Assert.True(first.IsLost, "the abandoned leader was not told it lost leadership");
        Assert.True(second.Term > first.Term);
        Assert.Equal(new ElectionLeader(election, "b", second.Term), await a.GetLeaderAsync(election));
        var proclaim = await Assert.ThrowsAsync<NotLeaderException>(() => first.ProclaimAsync("a-late"));
        Assert.Contains(election, proclaim.Message, StringComparison.Ordinal);
        Assert.Equal("b", (await a.GetLeaderAsync(election))?.Value);
    }

    [Fact]
    public async Task Lost_fires_when_the_backend_takes_leadership_away_and_a_proclaim_then_changes_nothing()
    {
        var election = NewElection("taken");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var leadership = await a.CampaignAsync(election, "a", ttl: ShortTtl);

        await TakeAwayAsync(election);
        await using var next = await b.CampaignAsync(election, "b", wait: ShortTtl * 2 + NoHang);
        await Assert.ThrowsAsync<NotLeaderException>(() => leadership.ProclaimAsync("a-again"));
        await UntilAsync(() => leadership.IsLost);
        Assert.Equal(new ElectionLeader(election, "b", next.Term), await a.GetLeaderAsync(election));
        Assert.True(next.Term > leadership.Term);
    }

    [Fact]
    public async Task Renewal_keeps_leadership_past_several_TTLs()
    {
        var election = NewElection("renew");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var leadership = await a.CampaignAsync(election, "a", ttl: ShortTtl);
        await Task.Delay(ShortTtl * 3.5);
        Assert.False(leadership.IsLost);
        Assert.True(leadership.ValidUntil > DateTimeOffset.UtcNow);
        Assert.Null(await b.TryCampaignAsync(election, "b"));
        Assert.Equal(leadership.Term, (await b.GetLeaderAsync(election))?.Term);
    }

    [Fact]
    public async Task Cancelling_a_campaign_stops_it_promptly_and_leaves_no_candidate_behind()
    {
        var election = NewElection("cancel");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var leadership = await a.CampaignAsync(election, "a");

        using var cts = new CancellationTokenSource();
        var waiting = b.CampaignAsync(election, "b", cancellationToken: cts.Token);
        await UntilCandidatesAsync(election, 2);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(NoHang));
        await UntilCandidatesAsync(election, 1);

        await leadership.ResignAsync();
        // Had the cancelled candidate stayed in line, it would lead now and this one could not win at once.
        Assert.Null(await c.GetLeaderAsync(election));
        await using var next = await c.TryCampaignAsync(election, "c");
        Assert.NotNull(next);
        Assert.Equal("c", (await a.GetLeaderAsync(election))?.Value);
    }

    [Fact]
    public async Task A_campaign_that_is_not_elected_in_time_throws_naming_the_election_and_withdraws()
    {
        var election = NewElection("timeout");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var leadership = await a.CampaignAsync(election, "a");

        var ex = await Assert.ThrowsAsync<CampaignTimeoutException>(() => b.CampaignAsync(election, "b", wait: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(election, ex.Election);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Waited);
        Assert.Contains(election, ex.Message, StringComparison.Ordinal);
        Assert.Equal(b.Backend, ex.Backend);
        await UntilCandidatesAsync(election, 1);
    }

    [Fact]
    public async Task Resigning_twice_and_disposing_after_a_resignation_are_harmless()
    {
        var election = NewElection("twice");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var leadership = await a.CampaignAsync(election, "a");
        await leadership.ResignAsync();
        await leadership.ResignAsync();
        await leadership.DisposeAsync();
        leadership.Dispose();
        await using var next = await b.TryCampaignAsync(election, "b");
        Assert.NotNull(next);
        Assert.False(leadership.IsLost);
    }

    [Fact]
    public async Task An_election_and_a_lock_of_the_same_name_are_unrelated()
    {
        var election = NewElection("apart");
        var a = await CreateClientAsync();
        await using var locks = await CreateLockClientAsync();
        await using var held = await locks.AcquireAsync(election);
        await using var leadership = await a.TryCampaignAsync(election, "a");
        Assert.NotNull(leadership);
    }

    /// <summary>A lock client on the same backend (and server) as the election clients.</summary>
    protected abstract Task<LockProvider> CreateLockClientAsync();
}
