using Coord.Locks.Redis;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisSemaphoreContractTests(RedisServerFixture redis) : SemaphoreContractTests, IClassFixture<RedisServerFixture>
{
    private const string Prefix = "coord:";

    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
        => Task.FromResult<SemaphoreProvider>(new RedisSemaphore(new RedisLockOptions { Configuration = redis.Server.ConnectionString, KeyPrefix = Prefix }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
        => Assert.True(await redis.Raw.GetDatabase().SortedSetRemoveAsync(new RedisSemaphoreKeys(Prefix, name).Holders, holderToken), $"'{holderToken}' held no permit of '{name}'");

    protected override async Task<int> WaitingAsync(string name)
        => (int)await redis.Raw.GetDatabase().SortedSetLengthAsync(new RedisSemaphoreKeys(Prefix, name).Queue);

    [Fact]
    public async Task A_semaphore_and_a_lock_of_the_same_name_use_different_keys()
    {
        var name = NewName("apart");
        var semaphore = await CreateClientAsync();
        await using var locks = new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, KeyPrefix = Prefix });
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphore.TryAcquireAsync(name, 1);
        Assert.NotNull(permit);
        Assert.NotEqual(new RedisLockKeys(Prefix, name).Lock, new RedisSemaphoreKeys(Prefix, name).Holders);
    }

    [Fact]
    public async Task An_idle_name_leaves_only_its_counter_behind()
    {
        var name = NewName("idle");
        var client = await CreateClientAsync();
        var keys = new RedisSemaphoreKeys(Prefix, name);
        var permit = await client.AcquireAsync(name, 2);
        var db = redis.Raw.GetDatabase();
        Assert.True(await db.KeyExistsAsync(keys.Holders));
        Assert.NotNull(await db.KeyTimeToLiveAsync(keys.Holders));
        await permit.ReleaseAsync();
        Assert.False(await db.KeyExistsAsync(keys.Holders));
        Assert.False(await db.KeyExistsAsync(keys.Grants));
        Assert.False(await db.KeyExistsAsync(keys.Queue));
        Assert.True(await db.KeyExistsAsync(keys.Counter));
    }
}
