using Coord.Locks.Redis;
using Coord.Locks.RedLock;

namespace Coord.Locks.Tests.RedLock;

/// <summary>How RedLock waiters queue and wake: one vote to join the line, one wake-up to the first waiter, nothing stranded.</summary>
public sealed class RedLockWaitingTests(RedisMastersFixture redis) : IClassFixture<RedisMastersFixture>, IAsyncLifetime
{
    private readonly OwnedClients<RedLockLock> _clients = new();

    private RedLockLock Client(string prefix) => _clients.Add(new RedLockLock(new RedLockOptions { Masters = [.. redis.Masters.ConnectionStrings], KeyPrefix = prefix }));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    [Fact]
    public async Task A_waiter_joins_every_queue_with_its_first_vote_and_a_contended_acquisition_costs_two_requests()
    {
        var prefix = $"votes-{Guid.NewGuid():N}:";
        var name = "queue";
        var keys = new RedisLockKeys(prefix, name);
        var holder = Client(prefix);
        var waiter = Client(prefix);
        // One earlier wait subscribes the waiter's provider on every master; from then on a wait needs no extra round.
        var warmUp = await holder.AcquireAsync("warm-up");
        var warmWait = waiter.AcquireAsync("warm-up", wait: TimeSpan.FromSeconds(10));
        await WaitForQueueAsync(new RedisLockKeys(prefix, "warm-up"), 1);
        await warmUp.ReleaseAsync();
        await (await warmWait).ReleaseAsync();

        var held = await holder.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var before = waiter.Metrics.RequestCounts();
        var waiting = waiter.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        await WaitForQueueAsync(keys, 1);
        Assert.Equal(1, waiter.Metrics.RequestCount("acquire") - before.GetValueOrDefault("acquire"));

        await held.ReleaseAsync();
        var next = await waiting;
        // Every master handed its key to the waiter itself.
        var values = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().StringGetAsync(keys.Lock)));
        Assert.All(values, v => Assert.Equal(next.HolderToken, (string?)v));
        await next.ReleaseAsync();
        var after = waiter.Metrics.RequestCounts();
        // The vote that queued and the release: the hand-off on each master needs no vote of its own.
        Assert.Equal(2, after.Sum(kv => kv.Value) - before.Values.Sum());
    }

    [Fact]
    public async Task Waiters_that_give_up_at_the_wake_up_strand_no_lock()
    {
        var prefix = $"tiny-{Guid.NewGuid():N}:";
        var name = "tiny";
        var ttl = TimeSpan.FromSeconds(10);
        var clients = Enumerable.Range(0, 24).Select(_ => (ILock)Client(prefix)).ToArray();

        var run = await TinyWaits.RunAsync(clients, name, ttl, TimeSpan.FromSeconds(4));

        TinyWaits.AssertServedWithoutStrandedLocks(run, clients.Length, ttl);
        var key = new RedisLockKeys(prefix, name).Lock;
        var left = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().KeyExistsAsync(key)));
        Assert.DoesNotContain(true, left);
    }

    [Fact]
    public async Task A_release_lets_its_own_process_go_ahead_of_an_older_waiter_elsewhere_at_most_the_bound_times_in_a_row()
    {
        var prefix = $"pass-{Guid.NewGuid():N}:";
        var name = "cohort";
        var keys = new RedisLockKeys(prefix, name);
        var held = await Client(prefix).AcquireAsync(name, ttl: TimeSpan.FromSeconds(60));

        // First in line: a waiter of another "process". Configuration strings that differ (here in the client
        // name) get wake-up channels of their own on every master, as another process would.
        var other = _clients.Add(new RedLockLock(new RedLockOptions
        {
            Masters = [.. redis.Masters.ConnectionStrings.Select(c => c + ",name=other-process")],
            KeyPrefix = prefix,
        }));
        var waiting = new List<(string Who, Task<ILockHandle> Task)> { ("other", other.AcquireAsync(name, wait: TimeSpan.FromSeconds(30))) };
        await WaitForQueueAsync(keys, 1);
        // Behind it, one more waiter than the bound allows to pass, all in the holder's process.
        for (var i = 1; i <= Coord.Locks.Internal.LocalPassPolicy.MaxPassesInARow + 1; i++)
        {
            waiting.Add(($"local{i}", Client(prefix).AcquireAsync(name, wait: TimeSpan.FromSeconds(30))));
            await WaitForQueueAsync(keys, i + 1);
        }

        await held.ReleaseAsync();
        var order = await TakeTurns.RunAsync(waiting, async next =>
        {
            // Every master handed its key to the same waiter.
            var values = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().StringGetAsync(keys.Lock)));
            Assert.All(values, v => Assert.Equal(next.HolderToken, (string?)v));
        });

        var passes = Coord.Locks.Internal.LocalPassPolicy.MaxPassesInARow;
        Assert.Equal([.. Enumerable.Range(1, passes).Select(i => $"local{i}"), "other", $"local{passes + 1}"], order);
    }

    private async Task WaitForQueueAsync(RedisLockKeys keys, int length)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().SortedSetLengthAsync(keys.Queue)))).Any(n => n < length))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the queue of {keys.Lock} never reached {length} on every master");
            await Task.Delay(20);
        }
    }
}
