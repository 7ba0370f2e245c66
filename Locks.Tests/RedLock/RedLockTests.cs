using Coord.Locks.Redis;
using Coord.Locks.RedLock;

namespace Coord.Locks.Tests.RedLock;

/// <summary>What RedLock mode promises beyond the contract: majority votes, and surviving a dead master.</summary>
public sealed class RedLockTests(RedisMastersFixture redis) : IClassFixture<RedisMastersFixture>, IAsyncLifetime
{
    private readonly OwnedClients<RedLockLock> _clients = new();

    private RedLockLock Client()
        => _clients.Add(new RedLockLock(new RedLockOptions { Masters = [.. redis.Masters.ConnectionStrings], MasterTimeout = TimeSpan.FromMilliseconds(2000) }));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        // Later tests in this class expect all three masters.
        foreach (var node in redis.Masters.Nodes.Where(n => !n.IsRunning))
            await node.StartAgainAsync();
    }

    [Fact]
    public async Task A_hold_sets_the_key_on_every_master_and_a_minority_of_foreign_keys_cannot_block_it()
    {
        var name = $"votes/{Guid.NewGuid():N}";
        var key = new RedisLockKeys("coord:", name).Lock;
        // A stale key on one master (say, left by a crashed client) is one "no" vote; two "yes" still win.
        await redis.Raw[0].GetDatabase().StringSetAsync(key, "someone-else", TimeSpan.FromSeconds(30));

        await using var held = await Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(5));
        var values = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().StringGetAsync(key)));
        Assert.Equal(2, values.Count(v => v == held.HolderToken));
        Assert.Equal("someone-else", (string?)values[0]);

        // But a majority of foreign keys does block.
        var blocked = $"votes-blocked/{Guid.NewGuid():N}";
        var blockedKey = new RedisLockKeys("coord:", blocked).Lock;
        foreach (var raw in redis.Raw.Take(2))
            await raw.GetDatabase().StringSetAsync(blockedKey, "someone-else", TimeSpan.FromSeconds(30));
        Assert.Null(await Client().TryAcquireAsync(blocked, wait: TimeSpan.FromMilliseconds(300)));
        Assert.False(await redis.Raw[2].GetDatabase().KeyExistsAsync(blockedKey)); // the minority vote was given back
    }

    [Fact]
    public async Task With_one_of_three_masters_killed_locks_still_exclude_renew_and_hand_over()
    {
        var name = $"degraded/{Guid.NewGuid():N}";
        var a = Client();
        var b = Client();
        var held = await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(2));

        redis.Masters.Nodes[0].Kill();

        // Renewal on the two survivors keeps the hold past several TTLs.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(held.IsLost);
        Assert.Null(await b.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(200)));

        var waiting = b.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        await held.ReleaseAsync();
        await using var next = await waiting;
        Assert.False(next.IsLost);

        // Contention on the survivors still never lets two in.
        var section = new OverlapDetector();
        var contended = $"degraded-contended/{Guid.NewGuid():N}";
        var clients = new[] { a, b, Client(), Client() };
        await Task.WhenAll(clients.Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await using var h = await c.AcquireAsync(contended, wait: TimeSpan.FromSeconds(30));
                section.Enter();
                await Task.Delay(3);
                section.Leave();
            }
        })));
        Assert.Equal(0, section.Overlaps);
    }

    [Fact]
    public async Task A_first_connect_slower_than_the_master_timeout_delays_the_first_vote_instead_of_failing_it()
    {
        // The master timeout is sized for one command; opening the first connections on a busy machine can
        // take longer. Paused masters accept the TCP connection but answer no handshake until resumed.
        var name = $"slow-connect/{Guid.NewGuid():N}";
        var client = _clients.Add(new RedLockLock(new RedLockOptions { Masters = [.. redis.Masters.ConnectionStrings], MasterTimeout = TimeSpan.FromMilliseconds(50) }));
        foreach (var node in redis.Masters.Nodes)
            node.Pause();
        Task<ILockHandle> acquiring;
        try
        {
            acquiring = client.AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
            await Task.Delay(TimeSpan.FromMilliseconds(400));
            Assert.False(acquiring.IsCompleted);
        }
        finally
        {
            foreach (var node in redis.Masters.Nodes)
                node.Resume();
        }
        await using var held = await acquiring;
        var values = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().StringGetAsync(new RedisLockKeys("coord:", name).Lock)));
        Assert.True(values.Count(v => v == held.HolderToken) >= 2);
    }

    [Fact]
    public async Task With_two_of_three_masters_killed_acquire_fails_clearly_instead_of_granting_a_minority_hold()
    {
        var name = $"minority/{Guid.NewGuid():N}";
        redis.Masters.Nodes[0].Kill();
        redis.Masters.Nodes[1].Kill();
        var client = Client();
        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(500)));
        Assert.Equal("redlock", ex.Backend);
        Assert.Contains("masters answered", ex.Message, StringComparison.Ordinal);
        Assert.Contains(redis.Masters.Nodes[2].Endpoint, ex.Message, StringComparison.Ordinal);
        Assert.False(await redis.Raw[2].GetDatabase().KeyExistsAsync(new RedisLockKeys("coord:", name).Lock));
    }

    [Fact]
    public void Options_without_masters_or_with_a_repeated_master_are_rejected()
    {
        var none = Assert.Throws<ArgumentException>(() => new RedLockLock(new RedLockOptions()));
        Assert.Contains("at least one Redis master", none.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<ArgumentException>(() => new RedLockLock(new RedLockOptions { Masters = ["a:1", "A:1"] }));
        Assert.Contains("same master twice", twice.Message, StringComparison.Ordinal);
    }
}
