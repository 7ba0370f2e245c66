using System.Diagnostics;
using Coord.Locks.Redis;
using StackExchange.Redis;

namespace Coord.Locks.Tests.Redis;

/// <summary>What the Redis backend promises beyond the shared contract: its key layout, queue hygiene and clear failures.</summary>
public sealed class RedisLockTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly OwnedClients<RedisLock> _clients = new();

    private RedisLock Client(string prefix = "coord:", TimeSpan? waiterLease = null) => _clients.Add(new RedisLock(new RedisLockOptions
    {
        Configuration = redis.Server.ConnectionString,
        KeyPrefix = prefix,
        WaiterLease = waiterLease ?? TimeSpan.FromSeconds(6),
    }));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    [Fact]
    public async Task The_lock_key_holds_the_holder_token_with_the_TTL_and_the_fence_key_the_token()
    {
        var name = $"layout/{Guid.NewGuid():N}";
        var keys = new RedisLockKeys("coord:", name);
        await using var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(20));

        var db = redis.Raw.GetDatabase();
        Assert.Equal(held.HolderToken, (string?)await db.StringGetAsync(keys.Lock));
        var pttl = await db.KeyTimeToLiveAsync(keys.Lock);
        Assert.InRange(pttl!.Value, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(20));
        Assert.Equal(held.FencingToken, (long)await db.StringGetAsync(keys.Fence));
    }

    [Fact]
    public async Task The_last_database_of_the_server_serves_locks_and_one_past_it_fails_the_first_call_with_the_servers_reason()
    {
        // The test server has 4 databases (0 to 3): the upper bound is the server's setting, so the client library tells.
        var name = $"database/{Guid.NewGuid():N}";
        var last = _clients.Add(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, Database = 3 }));
        await using (var held = await last.AcquireAsync(name, ttl: TimeSpan.FromSeconds(5)))
            Assert.Equal(held.HolderToken, (string?)await redis.Raw.GetDatabase(3).StringGetAsync(new RedisLockKeys("coord:", name).Lock));

        foreach (var database in new[] { 4, int.MaxValue })
        {
            var pastIt = _clients.Add(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, Database = database }));
            var error = await Assert.ThrowsAsync<LockBackendException>(() => pastIt.AcquireAsync(name, wait: TimeSpan.FromSeconds(1)));
            Assert.Contains(name, error.Message);
            Assert.Contains($"database does not exist on the server: {database}", error.Message);
        }
    }

    [Fact]
    public async Task An_uncontended_acquire_and_release_cost_one_round_trip_each()
    {
        var client = Client();
        var name = $"cost/{Guid.NewGuid():N}";
        // Connecting sends its own handshake commands; warm up on another name so only the lock's traffic is counted.
        await (await client.AcquireAsync($"cost-warmup/{Guid.NewGuid():N}")).ReleaseAsync();
        var acquiresBefore = client.Metrics.RequestCount("acquire");
        var releasesBefore = client.Metrics.RequestCount("release");
        var before = await redis.CommandsProcessedAsync();
        var held = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(5));
        await held.ReleaseAsync();
        var counts = client.Metrics.RequestCounts();

        Assert.Equal(1, counts["acquire"] - acquiresBefore);
        Assert.Equal(1, counts["release"] - releasesBefore);
        Assert.False(counts.ContainsKey("subscribe"));
        // Two EVALSHA, the INFO that reads the counter, and the commands the scripts run inside (counted by Redis too).
        var commands = await redis.CommandsProcessedAsync() - before;
        Assert.True(commands is >= 3 and <= 20, $"{commands} commands for one acquire and one release");
    }

    [Fact]
    public async Task Fencing_tokens_survive_the_lock_key_expiring()
    {
        var name = $"fence/{Guid.NewGuid():N}";
        var a = Client();
        var first = await a.AcquireAsync(name, ttl: TimeSpan.FromMilliseconds(300));
        StoppedRenewals.Of(a, first);
        await using var second = await Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(10));
        Assert.True(second.FencingToken > first.FencingToken);
    }

    [Fact]
    public async Task A_waiter_whose_process_died_is_skipped_at_once_by_the_hand_off()
    {
        var name = $"deadwaiter/{Guid.NewGuid():N}";
        var keys = new RedisLockKeys("coord:", name);
        // The holder in a "process" of its own (another configuration string, so another wake-up channel):
        // a waiter of the releasing process could be passed to ahead of the dead one without asking it.
        var holder = _clients.Add(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString + ",name=holder-process" }));
        var held = await holder.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));

        // A waiter that queued and then died with its process, its place lease still good for a minute:
        // written as it would have left it, with a wake-up channel that nobody subscribes to any more.
        var db = redis.Raw.GetDatabase();
        var server = redis.Raw.GetServer(redis.Server.Endpoint);
        var nowMs = (long)(await server.TimeAsync() - DateTime.UnixEpoch).TotalMilliseconds;
        await db.SortedSetAddAsync(keys.Queue, "deadbeefdeadbeefdeadbeefdeadbeef", 1);
        await db.HashSetAsync(keys.Waiters, "deadbeefdeadbeefdeadbeefdeadbeef", $"30000:{nowMs + 60_000}:coord:wake:gone");

        var waiting = Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        while (await db.SortedSetLengthAsync(keys.Queue) < 2)
            await Task.Delay(20);
        await held.ReleaseAsync();

        // PUBLISH reached nobody on the dead waiter's channel, so the same release handed the lock to the live one.
        await using var next = await waiting;
        Assert.Equal(next.HolderToken, (string?)await db.StringGetAsync(keys.Lock));
        Assert.Equal(held.FencingToken + 1, next.FencingToken);
        Assert.False(await db.HashExistsAsync(keys.Waiters, "deadbeefdeadbeefdeadbeefdeadbeef"));
    }

    [Fact]
    public async Task A_waiter_whose_place_lease_ran_out_is_skipped_by_the_hand_off()
    {
        var name = $"stalewaiter/{Guid.NewGuid():N}";
        var keys = new RedisLockKeys("coord:", name);
        var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var waiter = Client();
        var waiting = waiter.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        var db = redis.Raw.GetDatabase();
        while (await db.SortedSetLengthAsync(keys.Queue) < 1)
            await Task.Delay(20);

        // Ahead of the live waiter, on its very channel (so PUBLISH would reach it), a place whose lease has run out.
        var server = redis.Raw.GetServer(redis.Server.Endpoint);
        var nowMs = (long)(await server.TimeAsync() - DateTime.UnixEpoch).TotalMilliseconds;
        var channel = ((string)(await db.HashGetAllAsync(keys.Waiters))[0].Value!).Split(':', 3)[2];
        await db.SortedSetAddAsync(keys.Queue, "deadbeefdeadbeefdeadbeefdeadbeef", 1);
        await db.HashSetAsync(keys.Waiters, "deadbeefdeadbeefdeadbeefdeadbeef", $"30000:{nowMs - 1}:{channel}");
        await held.ReleaseAsync();

        await using var next = await waiting;
        Assert.Equal(next.HolderToken, (string?)await db.StringGetAsync(keys.Lock));
        Assert.Equal(held.FencingToken + 1, next.FencingToken);
    }

    [Fact]
    public async Task A_timed_out_waiter_leaves_no_queue_entry()
    {
        var name = $"timeoutclean/{Guid.NewGuid():N}";
        var keys = new RedisLockKeys("coord:", name);
        await using var held = await Client().AcquireAsync(name);
        Assert.Null(await Client().TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(300)));

        var db = redis.Raw.GetDatabase();
        Assert.Equal(0, await db.SortedSetLengthAsync(keys.Queue));
        Assert.Equal(0, await db.HashLengthAsync(keys.Waiters));
    }

    [Fact]
    public async Task One_release_wakes_exactly_one_of_many_waiters()
    {
        var name = $"herd/{Guid.NewGuid():N}";
        var holder = Client();
        var held = await holder.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // A long place lease means no waiter refreshes its place during the test, so any retry would be a wake-up.
        var waiters = Enumerable.Range(0, 8).Select(_ => Client(waiterLease: TimeSpan.FromSeconds(60))).ToArray();
        var tasks = waiters.Select(w => w.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30))).ToArray();
        await Task.Delay(1000);
        var before = waiters.Sum(w => w.Metrics.RequestCount("acquire"));

        await held.ReleaseAsync();
        var first = await Task.WhenAny(tasks);
        await Task.Delay(500);

        // The hand-off is delivered to its one waiter; nobody else even retried.
        Assert.Equal(1, tasks.Count(t => t.IsCompletedSuccessfully));
        Assert.Equal(before, waiters.Sum(w => w.Metrics.RequestCount("acquire")));
        // Each waiter lets go as soon as it holds, so the rest of the queue drains in turn.
        await Task.WhenAll(tasks.Select(async t => await (await t).DisposeAsync()));
    }

    [Fact]
    public Task A_holder_process_killed_with_SIGKILL_frees_the_lock_within_its_TTL_plus_one_second()
        => LockHolderProcess.AssertKilledHolderFreesTheLockWithinTtlAsync(Client(), "redis", redis.Server.ConnectionString);

    [Fact]
    public async Task An_unreachable_server_fails_within_the_wait_plus_connect_timeout_naming_backend_and_endpoint()
    {
        var client = new RedisLock(new RedisLockOptions { Configuration = "127.0.0.1:1", ConnectTimeout = TimeSpan.FromSeconds(1) });
        _clients.Add(client);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.AcquireAsync("unreachable", wait: TimeSpan.FromSeconds(1)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("redis", ex.Backend);
        Assert.Equal("unreachable", ex.LockName);
        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_out_of_range_are_rejected_with_what_is_allowed()
    {
        var none = Assert.Throws<ArgumentException>(() => new RedisLock(new RedisLockOptions()));
        Assert.Contains("Configuration", none.Message, StringComparison.Ordinal);
        var lease = Assert.Throws<ArgumentException>(() => new RedisLock(new RedisLockOptions { Configuration = "x:1", WaiterLease = TimeSpan.FromMilliseconds(1) }));
        Assert.Contains("between 300 ms and 10 minutes", lease.Message, StringComparison.Ordinal);
        var ttl = Assert.ThrowsAny<ArgumentException>(() => new RedisLock(new RedisLockOptions { Configuration = "x:1", DefaultTtl = TimeSpan.Zero }));
        Assert.Contains("at most 1 day", ttl.Message, StringComparison.Ordinal);
    }
}
