using System.Text.RegularExpressions;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>What the ZooKeeper lock does beyond the shared contract: layout, no herd, clean-up, tokens from elsewhere.</summary>
public sealed partial class ZooKeeperLockTests(ZooKeeperServerFixture zookeeper, ITestOutputHelper output) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    private const string Root = "/coord/locktests";
    private readonly List<LockProvider> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    private ZooKeeperLock NewClient()
    {
        var client = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _clients.Add(client);
        return client;
    }

    private static string ParentOf(string name) => $"{Root}/{ZooKeeperLockPaths.EncodeName(name)}";

    [GeneratedRegex(@"^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-\d{10}$")]
    private static partial Regex CuratorChildName();

    [Fact]
    public async Task Nodes_follow_Curator_InterProcessMutex_naming_under_one_container_per_encoded_name()
    {
        var name = $"orders/{Guid.NewGuid():N}/42";
        await using var held = await NewClient().AcquireAsync(name);

        // '/' in the name is encoded, so the lock is one container directly under the root.
        var parent = ParentOf(name);
        Assert.Equal(Root, parent[..parent.LastIndexOf('/')]);
        Assert.Contains("%2F", parent, StringComparison.Ordinal);

        var child = Assert.Single((await zookeeper.Raw.GetChildrenAsync(parent)).Children);
        Assert.Matches(CuratorChildName(), child);
        Assert.DoesNotContain(held.HolderToken, child, StringComparison.Ordinal);
        var stat = await zookeeper.Raw.ExistsAsync($"{parent}/{child}");
        Assert.NotNull(stat);
        Assert.NotEqual(0, stat.EphemeralOwner);
        Assert.Equal(stat.Czxid, held.FencingToken);

        // The parent is a container: once the last contender is gone the server removes it.
        await held.ReleaseAsync();
        for (var tries = 0; await zookeeper.Raw.ExistsAsync(parent) is not null && tries < 100; tries++)
            await Task.Delay(100);
        Assert.Null(await zookeeper.Raw.ExistsAsync(parent));
    }

    [Fact]
    public async Task A_Curator_style_contender_created_by_another_client_excludes_us_until_it_leaves()
    {
        var name = $"curator/{Guid.NewGuid():N}";
        var parent = ParentOf(name);
        var coord = NewClient();
        // Make the container the way our lock would, then queue first the way Curator does.
        await using (await coord.AcquireAsync(name))
        {
        }
        await using var java = await zookeeper.ConnectAsync();
        var foreign = await java.CreateAsync($"{parent}/_c_{Guid.NewGuid()}-lock-", [127, 0, 0, 1], ZooKeeperCreateMode.EphemeralSequential);

        Assert.Null(await coord.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(300)));
        var waiting = coord.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        await java.DeleteAsync(foreign.Path);
        await using var held = await waiting;
        Assert.True(held.FencingToken > foreign.Stat.Czxid);
    }

    [Fact]
    public async Task One_release_wakes_exactly_one_of_32_waiters()
    {
        const int waiterCount = 32;
        var name = $"herd/{Guid.NewGuid():N}";
        var holder = await NewClient().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var waiters = Enumerable.Range(0, waiterCount).Select(_ => NewClient()).ToArray();
        var acquisitions = waiters.Select(w => w.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30))).ToList();

        // Each waiter settles after create2, getChildren2 and one getData watch on its predecessor.
        long AcquireRequests() => waiters.Sum(w => w.Metrics.RequestCount("acquire"));
        for (var tries = 0; AcquireRequests() < waiterCount * 3 && tries < 300; tries++)
            await Task.Delay(100);
        Assert.Equal(waiterCount * 3, AcquireRequests());
        Assert.Equal(waiterCount + 1, (await zookeeper.Raw.GetChildrenAsync(ParentOf(name))).Children.Count);
        var watches = await zookeeper.Server.FourLetterWordAsync("wchc");
        Assert.Equal(waiterCount, watches.Split('\n').Count(line => line.Contains(ParentOf(name), StringComparison.Ordinal)));

        var current = holder;
        for (var round = 0; round < waiterCount; round++)
        {
            var before = AcquireRequests();
            await current.ReleaseAsync();
            var next = await Task.WhenAny(acquisitions).WaitAsync(TimeSpan.FromSeconds(30));
            acquisitions.Remove(next);
            current = await next;
            if (round < 3)
                await Task.Delay(300); // room for a herd to show itself
            // Exactly one waiter woke, and the release's mark told it that it was first: no read again.
            Assert.Equal(before, AcquireRequests());
            Assert.DoesNotContain(acquisitions, a => a.IsCompleted);
        }
        await current.ReleaseAsync();
        Assert.Equal(waiterCount * 3, AcquireRequests());
        var perWait = waiters.SelectMany(w => w.Metrics.RequestCounts()).GroupBy(kv => kv.Key).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} {g.Sum(kv => kv.Value) / (double)waiterCount:0.00}");
        output.WriteLine($"requests per contended acquisition: {string.Join(", ", perWait)}");
    }

    [Fact]
    public async Task A_thousand_acquisitions_on_a_hundred_names_leave_no_nodes_or_parents_behind()
    {
        const int workers = 8, perWorker = 125, nameCount = 100;
        var stem = $"sweep-{Guid.NewGuid():N}";
        var names = Enumerable.Range(0, nameCount).Select(i => $"{stem}/{i}").ToArray();
        var clients = Enumerable.Range(0, 4).Select(_ => NewClient()).ToArray();
        var inside = new int[nameCount];
        var overlaps = 0;

        async Task Work(int worker)
        {
            var random = new Random(worker);
            for (var i = 0; i < perWorker; i++)
            {
                var index = random.Next(nameCount);
                await using var held = await clients[worker % clients.Length].AcquireAsync(names[index], wait: TimeSpan.FromSeconds(60));
                if (Interlocked.Increment(ref inside[index]) != 1)
                    Interlocked.Increment(ref overlaps);
                await Task.Yield();
                Interlocked.Decrement(ref inside[index]);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => Work(w))));
        Assert.Equal(0, overlaps);

        var counts = clients.SelectMany(c => c.Metrics.RequestCounts()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        output.WriteLine($"requests per acquisition over {workers * perWorker}: " + string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value / (double)(workers * perWorker):0.00}")));

        // No lock node is left under any name...
        var prefix = ZooKeeperLockPaths.EncodeName(stem + "/");
        var ours = (await zookeeper.Raw.GetChildrenAsync(Root)).Children.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var parent in ours)
        {
            try
            {
                Assert.Empty((await zookeeper.Raw.GetChildrenAsync($"{Root}/{parent}")).Children);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                // Already removed by the container sweep.
            }
        }
        // ...and the server's container sweep (every second on the test server) removes the empty parents.
        for (var tries = 0; ours.Count > 0 && tries < 100; tries++)
        {
            await Task.Delay(200);
            ours = (await zookeeper.Raw.GetChildrenAsync(Root)).Children.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
        Assert.Empty(ours);
    }

    [Fact]
    public async Task A_holder_token_from_another_client_releases_but_cannot_renew_and_a_wrong_one_changes_nothing()
    {
        var name = $"token/{Guid.NewGuid():N}";
        var a = NewClient();
        var b = NewClient();
        var held = await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(3));
        var wrong = Guid.NewGuid().ToString("N");

        Assert.False(await b.RenewAsync(name, wrong, TimeSpan.FromSeconds(3)));
        Assert.False(await b.ReleaseAsync(name, wrong));
        var renew = await Assert.ThrowsAsync<LockException>(() => b.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(3)));
        Assert.Contains("another ZooKeeper client", renew.Message, StringComparison.Ordinal);
        Assert.Equal(name, renew.LockName);
        Assert.False(held.IsLost);
        Assert.True(await a.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(3)));

        // Release by token works from anywhere: the node is found by the token's guid and deleted.
        Assert.True(await b.ReleaseAsync(name, held.HolderToken));
        Assert.False(await b.ReleaseAsync(name, held.HolderToken));
        var lost = new TaskCompletionSource();
        held.Lost.Register(() => lost.TrySetResult());
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await using var next = await b.TryAcquireAsync(name);
        Assert.NotNull(next);
        await held.DisposeAsync();
        Assert.False(next.IsLost);
    }

    [Fact]
    public async Task Two_hundred_holds_on_one_provider_share_one_session_and_one_connection()
    {
        var stem = $"shared/{Guid.NewGuid():N}";
        var before = await AliveConnectionsAsync();
        var client = NewClient();
        var holds = new List<ILockHandle>();
        for (var i = 0; i < 200; i++)
            holds.Add(await client.AcquireAsync($"{stem}/{i}"));

        Assert.Equal(before + 1, await AliveConnectionsAsync());
        Assert.Equal(1, client.Metrics.RequestCount("connect"));
        var owners = new HashSet<long>();
        foreach (var hold in holds.Where((_, i) => i % 20 == 0))
        {
            var parent = ParentOf(hold.Name);
            var child = Assert.Single((await zookeeper.Raw.GetChildrenAsync(parent)).Children);
            owners.Add((await zookeeper.Raw.ExistsAsync($"{parent}/{child}"))!.EphemeralOwner);
        }
        Assert.Single(owners);
        foreach (var hold in holds)
            await hold.ReleaseAsync();
        Assert.All(holds, h => Assert.False(h.IsLost));
    }

    private async Task<int> AliveConnectionsAsync()
    {
        var stats = await zookeeper.Server.FourLetterWordAsync("mntr");
        var line = stats.Split('\n').Single(l => l.StartsWith("zk_num_alive_connections", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', ' ')[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_hold_nobody_renews_is_deleted_by_its_own_process_at_its_TTL_while_the_session_lives_on()
    {
        var client = NewClient();
        var ttl = TimeSpan.FromSeconds(2);
        var kept = await client.AcquireAsync($"kept/{Guid.NewGuid():N}", ttl: ttl);
        var name = $"unrenewed/{Guid.NewGuid():N}";
        var lease = await client.TryAcquireLeaseAsync(name, ttl: ttl);
        Assert.NotNull(lease);
        var parent = ParentOf(name);
        var node = $"{parent}/{Assert.Single((await zookeeper.Raw.GetChildrenAsync(parent)).Children)}";
        var session = (await zookeeper.Raw.ExistsAsync(node))!.EphemeralOwner;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        while (await zookeeper.Raw.ExistsAsync(node) is not null && clock.Elapsed < ttl * 4)
            await Task.Delay(20);
        var gone = clock.Elapsed;

        Assert.Null(await zookeeper.Raw.ExistsAsync(node));
        Assert.True(gone > ttl * 0.8, $"the node went after {gone.TotalMilliseconds:0} ms; its TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.True(gone < ttl + TimeSpan.FromSeconds(1), $"the node went only after {gone.TotalMilliseconds:0} ms; its TTL is {ttl.TotalMilliseconds:0} ms");
        // The session that owned it is alive: the renewed hold on it is still there and still ours.
        var keptParent = ParentOf(kept.Name);
        var keptNode = Assert.Single((await zookeeper.Raw.GetChildrenAsync(keptParent)).Children);
        Assert.Equal(session, (await zookeeper.Raw.ExistsAsync($"{keptParent}/{keptNode}"))!.EphemeralOwner);
        Assert.False(kept.IsLost);
        Assert.False(await client.RenewAsync(name, lease.HolderToken, ttl));
        await using var next = await NewClient().TryAcquireAsync(name);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task A_killed_process_holding_ten_locks_frees_all_of_them_within_its_session_TTL_and_a_second()
    {
        var name = $"crash/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        await using var holder = await LockHolderProcess.StartAsync("zookeeper", zookeeper.Server.ConnectString, name, ttl, TimeSpan.FromSeconds(60), count: 10);
        var client = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _clients.Add(client);
        var names = Enumerable.Range(1, 10).Select(i => $"{name}/{i}").ToArray();
        foreach (var each in names)
            Assert.Null(await client.TryAcquireAsync(each));

        holder.Kill();
        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        var taken = await Task.WhenAll(names.Select(async each =>
        {
            var held = await client.AcquireAsync(each, wait: TimeSpan.FromSeconds(30));
            return (Held: held, Took: sinceKill.Elapsed);
        }));
        var last = taken.Max(t => t.Took);
        output.WriteLine($"all 10 free {last.TotalMilliseconds:0} ms after the kill (session TTL {ttl.TotalMilliseconds:0} ms)");
        Assert.True(last <= ttl + TimeSpan.FromSeconds(1), $"the last lock was acquired {last.TotalMilliseconds:0} ms after the kill; the session TTL is {ttl.TotalMilliseconds:0} ms");
        for (var i = 0; i < names.Length; i++)
            Assert.True(taken[i].Held.FencingToken > holder.FencingTokens[i]);
        foreach (var (held, _) in taken)
            await held.ReleaseAsync();
    }

    [Fact]
    public async Task A_TTL_above_the_servers_session_maximum_is_kept_by_the_process_and_one_below_its_minimum_is_refused()
    {
        var client = NewClient();
        var longName = $"ttl-day/{Guid.NewGuid():N}";
        await using (var day = await client.AcquireAsync(longName, ttl: TimeSpan.FromDays(1)))
        {
            Assert.True(day.ValidUntil > DateTimeOffset.UtcNow + TimeSpan.FromHours(23));
            Assert.True(await client.RenewAsync(longName, day.HolderToken, TimeSpan.FromDays(1)));
            Assert.Null(await NewClient().TryAcquireAsync(longName));
            Assert.False(day.IsLost);
        }
        await using (var free = await NewClient().TryAcquireAsync(longName))
            Assert.NotNull(free);

        var shortName = $"ttl-short/{Guid.NewGuid():N}";
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.AcquireAsync(shortName, ttl: TimeSpan.FromMilliseconds(10)));
        // Refused up front by the provider's declared minimum, the server's shortest session (2 ticks).
        Assert.Equal(ZooKeeperNode.MinimumSessionTimeout, client.MinimumTtl);
        Assert.Contains("at least 1 s", refused.Message, StringComparison.Ordinal);
        Assert.Contains("zookeeper", refused.Message, StringComparison.Ordinal);
        // Refused again without a connection, and nothing was created.
        var connects = client.Metrics.RequestCount("connect");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.TryAcquireAsync(shortName, ttl: TimeSpan.FromMilliseconds(999)));
        Assert.Equal(connects, client.Metrics.RequestCount("connect"));
        Assert.Null(await zookeeper.Raw.ExistsAsync(ParentOf(shortName)));
        await using var minimum = await client.AcquireAsync(shortName, ttl: TimeSpan.FromMilliseconds(2 * ZooKeeperNode.TickTimeMs));
        Assert.False(minimum.IsLost);
    }

    [Fact]
    public async Task A_create_whose_reply_is_lost_is_found_again_by_its_guid_instead_of_queueing_twice()
    {
        var name = $"lost-create/{Guid.NewGuid():N}";
        var holder = await NewClient().AcquireAsync(name);
        await using var proxy = new ReplyDroppingProxy(zookeeper.Server.Host, zookeeper.Server.Port);
        var b = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = proxy.ConnectString, Root = Root, MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout });
        _clients.Add(b);
        var waiting = b.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));

        // create2 + getChildren2 (replies lost with the connection), the look-up by guid (getChildren + exists), getChildren2 and the watch.
        for (var tries = 0; b.Metrics.RequestCount("acquire") < 6 && tries < 200; tries++)
            await Task.Delay(50);
        await Task.Delay(200);
        Assert.True(proxy.Dropped);
        Assert.Equal(6, b.Metrics.RequestCount("acquire"));
        // A second node of b's would sit behind its first, owned by the same session, and wait on it for ever.
        Assert.Equal(2, (await zookeeper.Raw.GetChildrenAsync(ParentOf(name))).Children.Count);
        Assert.False(waiting.IsCompleted);

        await holder.ReleaseAsync();
        await using var held = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single((await zookeeper.Raw.GetChildrenAsync(ParentOf(name))).Children);
    }
}
