using System.Globalization;
using Coord.Locks.Redis;
using StackExchange.Redis;

namespace Coord.Locks.Tests.Redis;

/// <summary>
/// How a release reaches the next holder: one message to one provider, a lease that never outlives the
/// server's when that message is lost, and no lock stranded by a waiter that gives up at the hand-off.
/// </summary>
public sealed class RedisHandOffTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly OwnedClients<RedisLock> _clients = new();
    private readonly OwnedClients<ConnectionMultiplexer> _connections = new();

    private RedisLock Client(string prefix, IConnectionMultiplexer? connection = null) => _clients.Add(new RedisLock(new RedisLockOptions
    {
        Configuration = connection is null ? redis.Server.ConnectionString : null,
        Connection = connection,
        KeyPrefix = prefix,
    }));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _connections.DisposeAsync();
    }

    [Fact]
    public async Task One_release_with_32_waiters_in_32_processes_publishes_exactly_one_wake_up_message()
    {
        var prefix = $"herd32-{Guid.NewGuid():N}:";
        var name = "orders/42";
        var keys = new RedisLockKeys(prefix, name);
        var held = await Client(prefix).AcquireAsync(name, ttl: TimeSpan.FromSeconds(60));
        // A provider given a connection of its own has the wake-up channel of that connection, as a provider in a process of its own would.
        var waiters = new RedisLock[32];
        for (var i = 0; i < waiters.Length; i++)
            waiters[i] = Client(prefix, _connections.Add(await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString)));
        var tasks = waiters.Select(w => w.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(60))).ToArray();
        var db = redis.Raw.GetDatabase();
        await WaitUntilAsync(async () => await db.SortedSetLengthAsync(keys.Queue) == 32, "32 waiters in the queue");

        // Every "process" has one channel of its own, with exactly one subscriber: its own connection.
        var server = redis.Raw.GetServer(redis.Server.Endpoint);
        var channels = await server.SubscriptionChannelsAsync(RedisChannel.Pattern(prefix + "wake:*"));
        Assert.Equal(32, channels.Length);
        foreach (var channel in channels)
            Assert.Equal(1, await server.SubscriptionSubscriberCountAsync(channel));

        var acquiresBefore = waiters.Select(w => w.Metrics.RequestCount("acquire")).ToArray();
        var publishesBefore = await PublishCallsAsync(server);
        await held.ReleaseAsync();
        var first = await Task.WhenAny(tasks);
        await using var next = await first;
        // Long enough for any broadcast to show up in the counters below.
        await Task.Delay(500);

        Assert.Equal(1, await PublishCallsAsync(server) - publishesBefore);
        Assert.Equal(1, tasks.Count(t => t.IsCompleted));
        // The 31 others were not woken: none of them asked the server again.
        var woken = Array.IndexOf(tasks, first);
        for (var i = 0; i < waiters.Length; i++)
        {
            if (i != woken)
                Assert.Equal(acquiresBefore[i], waiters[i].Metrics.RequestCount("acquire"));
        }
        await next.ReleaseAsync();
        await Task.WhenAll(tasks.Where(t => t != first).Select(async t => await (await t).DisposeAsync()));
    }

    [Fact]
    public async Task A_hand_off_to_a_waiter_in_the_releasing_process_sends_no_message()
    {
        var prefix = $"local-{Guid.NewGuid():N}:";
        var name = "local";
        var keys = new RedisLockKeys(prefix, name);
        // Two providers on one configuration string: one process, one wake-up channel.
        var held = await Client(prefix).AcquireAsync(name, ttl: TimeSpan.FromSeconds(60));
        var waiting = Client(prefix).AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        await WaitUntilAsync(async () => await redis.Raw.GetDatabase().SortedSetLengthAsync(keys.Queue) == 1, "the waiter in the queue");
        var server = redis.Raw.GetServer(redis.Server.Endpoint);
        var publishesBefore = await PublishCallsAsync(server);

        await held.ReleaseAsync();
        await using var next = await waiting;

        Assert.Equal(publishesBefore, await PublishCallsAsync(server));
        Assert.True(next.FencingToken > held.FencingToken);
        Assert.Equal(next.HolderToken, (string?)await redis.Raw.GetDatabase().StringGetAsync(keys.Lock));
    }

    [Fact]
    public async Task A_release_lets_its_own_process_go_ahead_of_an_older_waiter_elsewhere_at_most_the_bound_times_in_a_row()
    {
        var prefix = $"pass-{Guid.NewGuid():N}:";
        var name = "cohort";
        var keys = new RedisLockKeys(prefix, name);
        var db = redis.Raw.GetDatabase();
        var server = redis.Raw.GetServer(redis.Server.Endpoint);
        var held = await Client(prefix).AcquireAsync(name, ttl: TimeSpan.FromSeconds(60));

        // First in line: a waiter of another "process" (its own connection, so its own channel).
        var other = Client(prefix, _connections.Add(await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString)));
        var waiting = new List<(string Who, Task<ILockHandle> Task)> { ("other", other.AcquireAsync(name, wait: TimeSpan.FromSeconds(30))) };
        await WaitUntilAsync(async () => await db.SortedSetLengthAsync(keys.Queue) == 1, "the other process's waiter in the queue");
        // Behind it, one more waiter than the bound allows to pass, all in the holder's process.
        var bound = Coord.Locks.Internal.LocalPassPolicy.MaxPassesInARow;
        for (var i = 1; i <= bound + 1; i++)
        {
            waiting.Add(($"local{i}", Client(prefix).AcquireAsync(name, wait: TimeSpan.FromSeconds(30))));
            var length = i + 1;
            await WaitUntilAsync(async () => await db.SortedSetLengthAsync(keys.Queue) == length, $"{length} waiters in the queue");
        }
        var publishesBefore = await PublishCallsAsync(server);

        var fence = held.FencingToken;
        await held.ReleaseAsync();
        var order = await TakeTurns.RunAsync(waiting, next =>
        {
            Assert.Equal(fence + 1, next.FencingToken);
            fence = next.FencingToken;
            return Task.CompletedTask;
        });

        // The local passes need no message; the older waiter then comes first, and the last local
        // waiter is handed the lock by the other process, which sends the only other message.
        var passes = Coord.Locks.Internal.LocalPassPolicy.MaxPassesInARow;
        Assert.Equal([.. Enumerable.Range(1, passes).Select(i => $"local{i}"), "other", $"local{passes + 1}"], order);
        Assert.Equal(2, await PublishCallsAsync(server) - publishesBefore);
    }

    [Fact]
    public async Task A_waiter_whose_wake_up_message_is_lost_never_believes_in_a_longer_lease_than_the_server_gives()
    {
        var prefix = $"missed-{Guid.NewGuid():N}:";
        var ttl = TimeSpan.FromSeconds(3);
        // The waiter's provider runs on a connection this test owns, so the test can take its channel's
        // subscription over and swallow the hand-off message; the server still counts a live subscriber,
        // so the release hands the lock to the waiter as it would when a message is lost in transit.
        var connection = _connections.Add(await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString));
        var waiterProvider = Client(prefix, connection);
        var holder = Client(prefix);
        var db = redis.Raw.GetDatabase();
        var server = redis.Raw.GetServer(redis.Server.Endpoint);

        var swallowed = 0;
        for (var round = 0; round < 3; round++)
        {
            var name = $"round-{round}";
            var keys = new RedisLockKeys(prefix, name);
            var held = await holder.AcquireAsync(name, ttl: ttl);
            var waiting = waiterProvider.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: ttl);
            await WaitUntilAsync(async () => await db.SortedSetLengthAsync(keys.Queue) == 1, "the waiter in the queue");

            if (round == 0)
            {
                // Only the waiter's provider ever subscribed under this prefix (the holder never waited).
                var channel = Assert.Single(await server.SubscriptionChannelsAsync(RedisChannel.Pattern(prefix + "wake:*")));
                await connection.GetSubscriber().UnsubscribeAsync(channel);
                await connection.GetSubscriber().SubscribeAsync(channel, (_, _) => Interlocked.Increment(ref swallowed));
            }

            await held.ReleaseAsync();
            await using var next = await waiting;
            var sentPttl = DateTimeOffset.UtcNow;
            var pttl = await db.KeyTimeToLiveAsync(keys.Lock);

            Assert.Equal(next.HolderToken, (string?)await db.StringGetAsync(keys.Lock));
            Assert.NotNull(pttl);
            // The server's expiry is at least the send time of PTTL plus its answer (less PTTL's 1 ms rounding).
            Assert.True(next.ValidUntil <= sentPttl + pttl.Value + TimeSpan.FromMilliseconds(1),
                $"round {round}: the handle vouches until {next.ValidUntil:O}, the server keeps the key until about {sentPttl + pttl.Value:O}");
            await next.ReleaseAsync();
        }
        Assert.Equal(3, Volatile.Read(ref swallowed));
    }

    [Fact]
    public async Task Waiters_that_give_up_at_the_hand_off_strand_no_lock_and_every_fencing_token_reaches_a_client()
    {
        var prefix = $"tiny-{Guid.NewGuid():N}:";
        var name = "tiny";
        var ttl = TimeSpan.FromSeconds(10);
        var clients = Enumerable.Range(0, 24).Select(_ => (ILock)Client(prefix)).ToArray();

        var run = await TinyWaits.RunAsync(clients, name, ttl, TimeSpan.FromSeconds(4));

        TinyWaits.AssertServedWithoutStrandedLocks(run, clients.Length, ttl);
        TinyWaits.AssertEveryFenceReachedAClient(run);
        Assert.False(await redis.Raw.GetDatabase().KeyExistsAsync(new RedisLockKeys(prefix, name).Lock), "the lock is still held after every client let go");
    }

    [Fact]
    public async Task Waiters_cancelled_at_the_hand_off_strand_no_lock_and_leave_no_hold_behind()
    {
        var prefix = $"tiny-cancel-{Guid.NewGuid():N}:";
        var name = "tiny";
        var ttl = TimeSpan.FromSeconds(10);
        var clients = Enumerable.Range(0, 24).Select(_ => (ILock)Client(prefix)).ToArray();

        var run = await TinyWaits.RunAsync(clients, name, ttl, TimeSpan.FromSeconds(4), TinyWaits.GiveUp.ByCancellation);

        // A hand-off that landed on a cancelled waiter is given back by its abandon step at once.
        TinyWaits.AssertServedWithoutStrandedLocks(run, clients.Length, ttl);
        Assert.False(await redis.Raw.GetDatabase().KeyExistsAsync(new RedisLockKeys(prefix, name).Lock), "the lock is still held after every client let go");
    }

    private static async Task<long> PublishCallsAsync(IServer server)
    {
        var stats = await server.InfoAsync("commandstats");
        var line = stats.SelectMany(g => g).FirstOrDefault(kv => kv.Key == "cmdstat_publish").Value;
        if (line is null)
            return 0;
        var calls = line.Split(',')[0]["calls=".Length..];
        return long.Parse(calls, CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"gave up waiting for {what}");
            await Task.Delay(20);
        }
    }
}
