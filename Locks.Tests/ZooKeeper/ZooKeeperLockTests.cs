using System.Text.RegularExpressions;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
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
        var client = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, Root = Root });
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

        // Each waiter settles after create, getChildren and one exists watch on its predecessor.
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
            // Exactly one waiter woke, and it needed a single getChildren to see it was first.
            Assert.Equal(before + 1, AcquireRequests());
            Assert.DoesNotContain(acquisitions, a => a.IsCompleted);
        }
        await current.ReleaseAsync();
        Assert.Equal(waiterCount * 4, AcquireRequests());
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
    public async Task Lost_fires_as_soon_as_the_client_learns_its_session_expired_long_before_the_TTL_runs_out()
    {
        var name = $"expired/{Guid.NewGuid():N}";
        var a = NewClient();
        var ttl = TimeSpan.FromSeconds(30);
        var held = await a.AcquireAsync(name, ttl: ttl);
        var lost = new TaskCompletionSource();
        held.Lost.Register(() => lost.TrySetResult());
        var session = a.SessionOfHold(held.HolderToken)!;

        // Keep the holder from reconnecting for a moment, while another connection joins its session and closes it.
        session.SuspendForTests(TimeSpan.FromSeconds(2));
        var intruder = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = zookeeper.Server.ConnectString,
            SessionTimeout = ttl,
            JoinSession = (session.SessionId, session.SessionPassword),
        });
        Assert.Equal(session.SessionId, intruder.SessionId);
        await intruder.DisposeAsync();

        // The handle's own clock would only give up after ~30 s; the expiry report ends it at once.
        var started = DateTime.UtcNow;
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(DateTime.UtcNow - started < ttl / 2);
        Assert.True(held.IsLost);
        await using var next = await NewClient().TryAcquireAsync(name);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task A_create_whose_reply_is_lost_is_found_again_by_its_guid_instead_of_queueing_twice()
    {
        var name = $"lost-create/{Guid.NewGuid():N}";
        var holder = await NewClient().AcquireAsync(name);
        var b = NewClient();
        b.SessionOpenedForTests = session => session.LoseNextReplyForTests(); // the create's reply
        var waiting = b.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));

        // create (reply lost), look-up by guid (getChildren + exists), then getChildren and a watch.
        for (var tries = 0; b.Metrics.RequestCount("acquire") < 5 && tries < 200; tries++)
            await Task.Delay(50);
        await Task.Delay(200);
        Assert.Equal(5, b.Metrics.RequestCount("acquire"));
        // A second node of b's would sit behind its first, owned by the same session, and wait on it for ever.
        Assert.Equal(2, (await zookeeper.Raw.GetChildrenAsync(ParentOf(name))).Children.Count);
        Assert.False(waiting.IsCompleted);

        await holder.ReleaseAsync();
        await using var held = await waiting;
        Assert.Single((await zookeeper.Raw.GetChildrenAsync(ParentOf(name))).Children);
    }

    [Fact]
    public async Task A_TTL_longer_than_the_server_allows_for_a_session_is_refused_and_leaves_nothing()
    {
        var name = $"ttl/{Guid.NewGuid():N}";
        var client = NewClient();
        var refused = await Assert.ThrowsAsync<LockException>(() => client.AcquireAsync(name, ttl: TimeSpan.FromMinutes(5)));
        Assert.Contains("at most", refused.Message, StringComparison.Ordinal);
        Assert.Equal(name, refused.LockName);
        await using var held = await NewClient().TryAcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        Assert.NotNull(held);
    }
}
