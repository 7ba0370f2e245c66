using System.Diagnostics;
using System.Text;
using Coord.Locks.ZooKeeper.Client;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>Coord's ZooKeeper client against a real ZooKeeper 3.8 server.</summary>
public sealed class ZooKeeperClientTests(ZooKeeperServerFixture zookeeper) : IClassFixture<ZooKeeperServerFixture>, IAsyncLifetime
{
    private readonly string _base = $"/client-tests/{Guid.NewGuid():N}";
    private readonly List<ZooKeeperClient> _clients = [];

    public async Task InitializeAsync()
    {
        try
        {
            await zookeeper.Raw.CreateAsync("/client-tests");
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }
        await zookeeper.Raw.CreateAsync(_base);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    private async Task<ZooKeeperClient> ConnectAsync(TimeSpan? sessionTimeout = null)
    {
        var client = await zookeeper.ConnectAsync(sessionTimeout);
        _clients.Add(client);
        return client;
    }

    [Fact]
    public async Task Create_in_every_mode_then_read_data_and_children()
    {
        var client = await ConnectAsync();
        Assert.Equal(ZooKeeperState.SyncConnected, client.State);
        Assert.NotEqual(0, client.SessionId);

        var persistent = await client.CreateAsync($"{_base}/p", Encoding.UTF8.GetBytes("hello"));
        Assert.Equal($"{_base}/p", persistent.Path);
        Assert.Equal(0, persistent.Stat.EphemeralOwner);
        var data = await client.GetDataAsync($"{_base}/p");
        Assert.Equal("hello", Encoding.UTF8.GetString(data.Data));
        Assert.Equal(persistent.Stat.Czxid, data.Stat.Czxid);

        var container = await client.CreateAsync($"{_base}/c", mode: ZooKeeperCreateMode.Container);
        Assert.Equal($"{_base}/c", container.Path);
        var ephemeral = await client.CreateAsync($"{_base}/c/e", mode: ZooKeeperCreateMode.Ephemeral);
        Assert.Equal(client.SessionId, ephemeral.Stat.EphemeralOwner);

        var first = await client.CreateAsync($"{_base}/c/seq-", mode: ZooKeeperCreateMode.EphemeralSequential);
        var second = await client.CreateAsync($"{_base}/c/seq-", mode: ZooKeeperCreateMode.PersistentSequential);
        Assert.Matches(@"/seq-\d{10}$", first.Path);
        Assert.True(string.CompareOrdinal(second.Path, first.Path) > 0, $"{second.Path} should sort after {first.Path}");
        Assert.True(second.Stat.Czxid > first.Stat.Czxid);
        Assert.Equal(0, second.Stat.EphemeralOwner);

        var children = await client.GetChildrenAsync($"{_base}/c");
        Assert.Equal(new[] { "e", first.Path[(first.Path.LastIndexOf('/') + 1)..], second.Path[(second.Path.LastIndexOf('/') + 1)..] }.Order(), children.Children.Order());
        Assert.Equal(3, children.Stat.NumChildren);

        var exists = await Assert.ThrowsAsync<ZooKeeperException>(() => client.CreateAsync($"{_base}/p"));
        Assert.Equal(ZooKeeperErrorCode.NodeExists, exists.Code);
        Assert.Contains("NodeExists", exists.Message, StringComparison.Ordinal);
        var orphan = await Assert.ThrowsAsync<ZooKeeperException>(() => client.CreateAsync($"{_base}/missing/child"));
        Assert.Equal(ZooKeeperErrorCode.NoNode, orphan.Code);
        var ephemeralParent = await Assert.ThrowsAsync<ZooKeeperException>(() => client.CreateAsync($"{_base}/c/e/child"));
        Assert.Equal(ZooKeeperErrorCode.NoChildrenForEphemerals, ephemeralParent.Code);
    }

    [Fact]
    public async Task Delete_checks_versions_and_emptiness_and_exists_reports_absence()
    {
        var client = await ConnectAsync();
        await client.CreateAsync($"{_base}/d");
        await client.CreateAsync($"{_base}/d/child");

        Assert.Equal(ZooKeeperErrorCode.NotEmpty, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.DeleteAsync($"{_base}/d"))).Code);
        Assert.Equal(ZooKeeperErrorCode.BadVersion, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.DeleteAsync($"{_base}/d/child", version: 7))).Code);
        await client.DeleteAsync($"{_base}/d/child", version: 0);
        Assert.Null(await client.ExistsAsync($"{_base}/d/child"));
        Assert.Equal(ZooKeeperErrorCode.NoNode, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.DeleteAsync($"{_base}/d/child"))).Code);
        Assert.Equal(ZooKeeperErrorCode.NoNode, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync($"{_base}/d/child"))).Code);
        await client.DeleteAsync($"{_base}/d");
        Assert.Null(await client.ExistsAsync($"{_base}/d"));
    }

    [Fact]
    public async Task Watches_fire_exactly_once_each()
    {
        var watcher = await ConnectAsync();
        var writer = await ConnectAsync();
        var path = $"{_base}/w";
        var existsEvents = new List<ZooKeeperWatchedEvent>();
        var dataEvents = new List<ZooKeeperWatchedEvent>();
        var childEvents = new List<ZooKeeperWatchedEvent>();
        var existsFired = new TaskCompletionSource();
        var dataFired = new TaskCompletionSource();
        var childFired = new TaskCompletionSource();

        // exists on a missing node watches for its creation.
        Assert.Null(await watcher.ExistsAsync(path, e => { lock (existsEvents) existsEvents.Add(e); existsFired.TrySetResult(); }));
        await writer.CreateAsync(path);
        await existsFired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.NodeCreated, ZooKeeperState.SyncConnected, path), existsEvents.Single());

        await watcher.GetChildrenAsync(path, e => { lock (childEvents) childEvents.Add(e); childFired.TrySetResult(); });
        await watcher.GetDataAsync(path, e => { lock (dataEvents) dataEvents.Add(e); dataFired.TrySetResult(); });
        await writer.CreateAsync($"{path}/a");
        await childFired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.CreateAsync($"{path}/b"); // the child watch was used up: no second event
        await writer.DeleteAsync($"{path}/a");
        await writer.DeleteAsync($"{path}/b");
        await writer.DeleteAsync(path);
        await dataFired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.CreateAsync(path); // would fire the exists watch again if it were not one-shot

        // A round trip on the watcher's connection: any event sent before its reply has been handled.
        await watcher.ExistsAsync(path);
        await Task.Delay(200);
        Assert.Single(existsEvents);
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.NodeChildrenChanged, ZooKeeperState.SyncConnected, path), childEvents.Single());
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.NodeDeleted, ZooKeeperState.SyncConnected, path), dataEvents.Single());
    }

    [Fact]
    public async Task Multi_applies_all_or_nothing()
    {
        var client = await ConnectAsync();
        var results = await client.MultiAsync(
        [
            ZooKeeperOperation.Create($"{_base}/m", null, ZooKeeperCreateMode.Persistent),
            ZooKeeperOperation.Create($"{_base}/m/seq-", [1], ZooKeeperCreateMode.EphemeralSequential),
            ZooKeeperOperation.Check($"{_base}/m", 0),
        ]);
        Assert.Equal($"{_base}/m", results[0]);
        Assert.Matches(@"/m/seq-\d{10}$", results[1]);
        Assert.Null(results[2]);

        var failed = await Assert.ThrowsAsync<ZooKeeperException>(() => client.MultiAsync(
        [
            ZooKeeperOperation.Create($"{_base}/m/x", null, ZooKeeperCreateMode.Persistent),
            ZooKeeperOperation.Delete($"{_base}/m/missing"),
        ]));
        Assert.Equal(ZooKeeperErrorCode.NoNode, failed.Code);
        Assert.Contains("step 1", failed.Message, StringComparison.Ordinal);
        Assert.Null(await client.ExistsAsync($"{_base}/m/x"));
        Assert.Equal(ZooKeeperErrorCode.BadVersion, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.MultiAsync([ZooKeeperOperation.Check($"{_base}/m", 5)]))).Code);
    }

    [Fact]
    public async Task Pipelined_requests_from_many_tasks_each_get_their_own_reply()
    {
        var client = await ConnectAsync();
        await client.CreateAsync($"{_base}/pipe");
        const int tasks = 16, perTask = 25;
        var sentBefore = client.RequestsSent;

        async Task Work(int t)
        {
            for (var i = 0; i < perTask; i++)
            {
                var path = $"{_base}/pipe/n-{t}-{i}";
                // Fire a create and a read without awaiting in between: both ride the pipeline together.
                var create = client.CreateAsync(path, Encoding.UTF8.GetBytes(path));
                var missing = client.ExistsAsync(path + "-never");
                Assert.Equal(path, (await create).Path);
                Assert.Null(await missing);
                Assert.Equal(path, Encoding.UTF8.GetString((await client.GetDataAsync(path)).Data));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(() => Work(t))));
        Assert.Equal(tasks * perTask * 3, client.RequestsSent - sentBefore);
        Assert.Equal(tasks * perTask, (await client.GetChildrenAsync($"{_base}/pipe")).Children.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative")]
    [InlineData("/trailing/")]
    [InlineData("/double//slash")]
    [InlineData("/dot/./segment")]
    [InlineData("/dot/../segment")]
    [InlineData("/control\u0001char")]
    [InlineData("/private\ue000use")]
    public async Task Bad_paths_are_rejected_before_anything_is_sent(string path)
    {
        var client = await ConnectAsync();
        var sent = client.RequestsSent;
        var create = await Assert.ThrowsAsync<ArgumentException>(() => client.CreateAsync(path));
        Assert.Contains("not a valid ZooKeeper path", create.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ExistsAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetDataAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetChildrenAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteAsync(path));
        Assert.Throws<ArgumentException>(() => ZooKeeperOperation.Delete(path));
        Assert.Equal(sent, client.RequestsSent);
        Assert.Equal(ZooKeeperState.SyncConnected, client.State);
    }

    [Fact]
    public async Task Closing_the_session_removes_its_ephemeral_nodes_and_ends_its_watches()
    {
        var client = await zookeeper.ConnectAsync();
        var other = await ConnectAsync();
        await client.CreateAsync($"{_base}/gone", mode: ZooKeeperCreateMode.Ephemeral);
        var ended = new TaskCompletionSource<ZooKeeperWatchedEvent>();
        await client.ExistsAsync($"{_base}/never", e => ended.TrySetResult(e));

        await client.DisposeAsync();

        Assert.Equal(ZooKeeperState.Closed, client.State);
        Assert.Null(await other.ExistsAsync($"{_base}/gone"));
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.None, ZooKeeperState.Closed, $"{_base}/never"), await ended.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ExistsAsync($"{_base}/gone"));
    }

    [Fact]
    public async Task A_session_paused_past_its_timeout_is_reported_expired()
    {
        // The client reaches the server through a relay that can go silent, as the host of a paused process would.
        await using var relay = new PausableRelay(zookeeper.Server.Host, zookeeper.Server.Port);
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = relay.ConnectString, SessionTimeout = TimeSpan.FromSeconds(1) });
        _clients.Add(client);
        var other = await ConnectAsync();
        var states = new List<ZooKeeperState>();
        var expired = new TaskCompletionSource();
        client.StateChanged += s =>
        {
            lock (states)
                states.Add(s);
            if (s == ZooKeeperState.Expired)
                expired.TrySetResult();
        };
        await client.CreateAsync($"{_base}/short-lived", mode: ZooKeeperCreateMode.Ephemeral);
        var watchEnded = new TaskCompletionSource<ZooKeeperWatchedEvent>();
        await client.ExistsAsync($"{_base}/never-created", e => watchEnded.TrySetResult(e));

        relay.Pause(TimeSpan.FromSeconds(3));

        await expired.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(ZooKeeperState.Expired, client.State);
        Assert.Equal(ZooKeeperState.Expired, states.Last());
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.None, ZooKeeperState.Expired, $"{_base}/never-created"), await watchEnded.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ZooKeeperErrorCode.SessionExpired, (await Assert.ThrowsAsync<ZooKeeperException>(() => client.ExistsAsync(_base))).Code);
        // The server expires the session on its own clock, up to a tick after the client gave up on it.
        var gone = Stopwatch.StartNew();
        while (await other.ExistsAsync($"{_base}/short-lived") is not null)
        {
            Assert.True(gone.Elapsed < TimeSpan.FromSeconds(10), "the ephemeral node of the expired session is still there");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_call_to_a_stalled_server_ends_at_its_timeout_or_when_cancelled()
    {
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = zookeeper.Server.ConnectString,
            SessionTimeout = TimeSpan.FromSeconds(10),
            RequestTimeout = TimeSpan.FromSeconds(1),
        });
        _clients.Add(client);
        zookeeper.Server.Pause();
        try
        {
            await WaitUntilStoppedAsync(zookeeper.Server.ProcessId);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExistsAsync(_base, cancellationToken: cancel.Token));

            var timedOut = await Assert.ThrowsAsync<ZooKeeperException>(() => client.GetDataAsync(_base));
            Assert.Equal(ZooKeeperErrorCode.OperationTimeout, timedOut.Code);
            Assert.Contains(_base, timedOut.Message, StringComparison.Ordinal);
        }
        finally
        {
            zookeeper.Server.Resume();
        }
        // The session survives the stall: the client moves back (here: to the same member) and carries on.
        Assert.NotNull(await client.ExistsAsync(_base));
    }

    /// <summary>SIGSTOP returns before every thread of the JVM has stopped; wait until all have.</summary>
    private static async Task WaitUntilStoppedAsync(int? processId)
    {
        Assert.NotNull(processId);
        static bool Stopped(string stat) => stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
        for (var tries = 0; tries < 100; tries++)
        {
            var threads = Directory.GetDirectories($"/proc/{processId}/task");
            if (threads.All(t => { try { return Stopped(File.ReadAllText(Path.Combine(t, "stat"))); } catch (IOException) { return true; } }))
                return;
            await Task.Delay(50);
        }
        Assert.Fail($"process {processId} did not stop after SIGSTOP");
    }

    [Fact]
    public async Task Calls_honour_cancellation_and_an_unreachable_server_fails_within_the_connect_timeout()
    {
        var client = await ConnectAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetDataAsync(_base, cancellationToken: cancelled.Token));

        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var nobody = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop(); // a port where nothing listens
        var started = DateTime.UtcNow;
        var unreachable = await Assert.ThrowsAsync<ZooKeeperException>(() => ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = nobody, ConnectTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, unreachable.Code);
        Assert.Contains(nobody, unreachable.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));

        // The client is still usable after a cancelled call.
        Assert.NotNull(await client.ExistsAsync(_base));
    }
}
