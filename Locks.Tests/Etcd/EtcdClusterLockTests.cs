using System.Diagnostics;
using Coord.Locks.Etcd;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>Locks on a 3-member cluster while its leader is killed: no two holders, and holds and acquisitions carry on once a new leader is elected.</summary>
public sealed class EtcdClusterLockTests(EtcdClusterFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdClusterFixture>, IAsyncLifetime
{
    private readonly EtcdTestClients _clients = new(output);

    private EtcdLock Client(IEnumerable<EtcdNode>? members = null)
        => _clients.Create((members ?? etcd.Cluster.Nodes).Select(n => n.ClientUrl), connectTimeout: TimeSpan.FromSeconds(10));

    public async Task InitializeAsync()
    {
        // A previous test may have killed a member: bring it back so every test starts with three.
        foreach (var node in etcd.Cluster.Nodes.Where(n => n.IsPaused))
            node.Resume();
        foreach (var node in etcd.Cluster.Nodes.Where(n => !n.IsRunning))
            await node.StartAgainAsync();
        await etcd.Cluster.FindLeaderAsync();
    }

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    [Fact]
    public async Task Killing_the_leader_under_contention_never_lets_two_hold_at_once_and_acquisitions_resume()
    {
        const int clientCount = 6;
        var name = $"failover/{Guid.NewGuid():N}";
        var clients = Enumerable.Range(0, clientCount).Select(_ => Client()).ToArray();
        var section = new OverlapDetector();
        var errors = 0;
        var entries = new List<(long Fence, long At)>();
        using var stop = new CancellationTokenSource();

        async Task Work(EtcdLock client)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var held = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(20), ttl: TimeSpan.FromSeconds(3), cancellationToken: stop.Token);
                    section.Enter();
                    lock (entries)
                        entries.Add((held.FencingToken, Stopwatch.GetTimestamp()));
                    await Task.Delay(20, CancellationToken.None);
                    section.Leave();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (LockException ex)
                {
                    // Expected around the kill: a request that was on the dead member, or waited out the election.
                    Interlocked.Increment(ref errors);
                    output.WriteLine($"{ex.GetType().Name}: {ex.Message}");
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }

        var workers = clients.Select(c => Task.Run(() => Work(c))).ToArray();
        await EtcdLockTests.WaitUntilAsync(() => Task.FromResult(Count() >= 20));
        var leader = await etcd.Cluster.FindLeaderAsync();
        var killedAt = Stopwatch.GetTimestamp();
        leader.Kill();
        var countAtKill = Count();

        await EtcdLockTests.WaitUntilAsync(() => Task.FromResult(Count() >= countAtKill + 20), TimeSpan.FromSeconds(40));
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(40));

        (long Fence, long At)[] all;
        lock (entries)
            all = [.. entries];
        // The pause the kill caused: the longest gap between one acquisition and the next, among those around the kill.
        var lastBefore = all.Where(e => e.At <= killedAt).Max(e => e.At);
        var resumedAfter = all.Where(e => e.At >= lastBefore).Zip(all.Where(e => e.At >= lastBefore).Skip(1))
            .Select(p => Stopwatch.GetElapsedTime(p.First.At, p.Second.At)).Max();
        var newLeader = await etcd.Cluster.FindLeaderAsync();
        output.WriteLine($"killed leader {leader}; new leader {newLeader}; longest gap between acquisitions after the kill {resumedAfter.TotalMilliseconds:0} ms; " +
            $"{all.Length} acquisitions, {all.Count(e => e.At > killedAt)} after the kill, {errors} failed acquire calls");

        Assert.Equal(0, section.Overlaps);
        Assert.NotEqual(leader, newLeader);
        for (var i = 1; i < all.Length; i++)
            Assert.True(all[i].Fence > all[i - 1].Fence, $"fencing token {all[i].Fence} at entry {i} is not above {all[i - 1].Fence}");

        int Count()
        {
            lock (entries)
                return entries.Count;
        }
    }

    [Fact]
    public async Task A_holder_keeps_its_lock_through_the_loss_of_the_leader_while_a_quorum_remains()
    {
        var name = $"survive/{Guid.NewGuid():N}";
        var leader = await etcd.Cluster.FindLeaderAsync();
        var survivors = etcd.Cluster.Nodes.Where(n => n != leader).ToArray();
        // The holder's client lists the leader first; its connections and renewals include the member that dies.
        var holderClient = Client([leader, .. survivors]);
        var ttl = TimeSpan.FromSeconds(3);
        var held = await holderClient.AcquireAsync(name, ttl: ttl);
        var keepAlivesBefore = holderClient.Metrics.RequestCount("keepalive");

        leader.Kill();
        await Task.Delay(ttl * 2.5);

        Assert.False(held.IsLost, "the holder lost its lock although two of three members kept a quorum");
        Assert.True(held.ValidUntil > DateTimeOffset.UtcNow);
        // Holds renew in process; the session behind them keeps its lease alive with etcd, through the kill.
        Assert.True(holderClient.Metrics.RequestCount("keepalive") - keepAlivesBefore >= 4, "the holder's session did not keep its lease alive after the kill");
        var other = Client(survivors);
        Assert.Null(await other.TryAcquireAsync(name));

        await held.ReleaseAsync();
        await using var next = await other.AcquireAsync(name, wait: TimeSpan.FromSeconds(10));
        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Lost_fires_within_the_TTL_when_no_quorum_can_be_reached()
    {
        var name = $"noquorum/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(2);
        var held = await Client().AcquireAsync(name, ttl: ttl);
        var lost = new TaskCompletionSource();
        await using var registration = held.Lost.Register(() => lost.TrySetResult());

        var clock = Stopwatch.StartNew();
        foreach (var member in etcd.Cluster.Nodes.Take(2))
            member.Kill();
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"Lost fired {clock.ElapsedMilliseconds} ms after the quorum went");

        // etcd 3.4's leader renews leases without asking the others, until it notices the lost quorum
        // and steps down (an election timeout, 0.5 s here); from the last renewal sent, validity ends within one TTL.
        Assert.True(clock.Elapsed <= ttl * 2, $"Lost fired {clock.Elapsed} after the quorum went, later than twice the TTL {ttl}");
        Assert.True(held.IsLost);
    }

    [Fact]
    public async Task Waiters_whose_member_is_paused_move_to_another_member_and_are_still_served_in_order()
    {
        var name = $"paused/{Guid.NewGuid():N}";
        var leader = await etcd.Cluster.FindLeaderAsync();
        var paused = etcd.Cluster.Nodes.First(n => n != leader);
        var holder = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 4; i++)
        {
            var who = i;
            waiters.Add(Task.Run(async () =>
            {
                await using var h = await Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
                lock (order)
                    order.Add(who);
            }));
            await EtcdLockTests.WaitUntilAsync(async () => (await QueueLengthAsync(name, leader)) == who + 2);
        }
        await Task.Delay(300); // every waiter has its watch open, some of them on the member about to stop

        // A paused member keeps its connections open but answers nothing: only pings can tell.
        paused.Pause();
        var clock = Stopwatch.StartNew();
        await holder.ReleaseAsync();
        // With HTTP/2 pings at their defaults (30 s + 30 s) a watch on the paused member would stay silent past this bound;
        // a waiter's watch stream that goes unanswered is moved to another member within a few seconds instead.
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"all four waiters served {clock.ElapsedMilliseconds} ms after the release, with {paused} paused");
        paused.Resume();

        Assert.Equal([0, 1, 2, 3], order);
    }

    [Fact]
    public async Task A_holder_cut_off_from_the_cluster_hears_Lost_on_every_hold_before_another_client_is_granted_one()
    {
        var names = Enumerable.Range(0, 5).Select(i => $"cutoff/{Guid.NewGuid():N}/{i}").ToArray();
        var leader = await etcd.Cluster.FindLeaderAsync();
        var cutOff = etcd.Cluster.Nodes.First(n => n != leader);
        // A knows only the member about to stop, so it cannot move; B knows only the other two.
        var a = Client([cutOff]);
        var b = Client(etcd.Cluster.Nodes.Where(n => n != cutOff));
        var held = new List<ILockHandle>();
        foreach (var name in names)
            held.Add(await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(2)));

        // A's keep-alives stop reaching the cluster; the leader expires A's session lease after its TTL and
        // deletes every key on it, which grants B each lock. A must have heard Lost on each before that.
        await CutOffHolder.AssertLostBeforeAnyoneElseIsGrantedAsync(names, held, b,
            async () =>
            {
                foreach (var name in names)
                    await EtcdLockTests.WaitUntilAsync(async () => (await QueueLengthAsync(name, leader)) == 2);
            },
            cutOff, TimeSpan.FromSeconds(30), output);
    }

    private async Task<int> QueueLengthAsync(string name, EtcdNode member)
    {
        using var raw = new dotnet_etcd.EtcdClient(member.ClientUrl);
        return (await EtcdServerFixture.QueueAsync(raw, name)).Count;
    }
}
