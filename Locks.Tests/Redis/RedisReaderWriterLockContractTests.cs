using Coord.Locks.Redis;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisReaderWriterLockContractTests(RedisServerFixture redis) : ReaderWriterLockContractTests, IClassFixture<RedisServerFixture>
{
    private const string Prefix = "coord:";

    private static RedisSemaphoreKeys KeysOf(string name) => new(Prefix, name, RedisSemaphoreKeys.ReaderWriterKind);

    // Waiters refresh their place (and look again) every third of the place lease: at its longest, so that only a
    // hand-off can let a waiter in within a test (the lock's own re-check would hide a missing one).
    protected override Task<ReaderWriterLockProvider> CreateClientCoreAsync()
        => Task.FromResult<ReaderWriterLockProvider>(new RedisReaderWriterLock(new RedisLockOptions
        {
            Configuration = redis.Server.ConnectionString,
            KeyPrefix = Prefix,
            WaiterLease = TimeSpan.FromMinutes(10),
        }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
        => Assert.True(await redis.Raw.GetDatabase().SortedSetRemoveAsync(KeysOf(name).Holders, holderToken), $"'{holderToken}' held nothing of '{name}'");

    protected override async Task<int> WaitingAsync(string name)
        => (int)await redis.Raw.GetDatabase().SortedSetLengthAsync(KeysOf(name).Queue);

    [Fact]
    public async Task A_reader_writer_lock_a_semaphore_and_a_lock_of_the_same_name_use_different_keys()
    {
        var name = NewName("apart");
        var rw = await CreateClientAsync();
        var options = new RedisLockOptions { Configuration = redis.Server.ConnectionString, KeyPrefix = Prefix };
        await using var locks = new RedisLock(options);
        await using var semaphores = new RedisSemaphore(options);
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphores.AcquireAsync(name, 1);
        await using var write = await rw.TryAcquireWriteLockAsync(name);
        Assert.NotNull(write);

        var keys = KeysOf(name);
        var semaphoreKeys = new RedisSemaphoreKeys(Prefix, name);
        var lockKeys = new RedisLockKeys(Prefix, name);
        var taken = new HashSet<string>([.. semaphoreKeys.All.Select(k => (string)k!), .. new[] { lockKeys.Lock, lockKeys.Fence, lockKeys.Queue, lockKeys.Waiters }]);
        Assert.All(keys.All, k => Assert.DoesNotContain((string)k!, taken));
        Assert.Equal($"{Prefix}rw:{name}", keys.Holders);
    }

    [Fact]
    public async Task An_idle_name_leaves_only_its_counter_behind()
    {
        var name = NewName("idle");
        var client = await CreateClientAsync();
        var keys = KeysOf(name);
        var db = redis.Raw.GetDatabase();
        var write = await client.AcquireWriteLockAsync(name);
        Assert.True(await db.KeyExistsAsync(keys.Holders));
        Assert.NotNull(await db.KeyTimeToLiveAsync(keys.Holders));
        Assert.Equal(write.HolderToken, (string?)await db.HashGetAsync(keys.Counter, "excl"));
        await write.ReleaseAsync();
        var read = await client.AcquireReadLockAsync(name);
        Assert.False(await db.HashExistsAsync(keys.Counter, "excl"));
        await read.ReleaseAsync();
        Assert.False(await db.KeyExistsAsync(keys.Holders));
        Assert.False(await db.KeyExistsAsync(keys.Grants));
        Assert.False(await db.KeyExistsAsync(keys.Queue));
        Assert.False(await db.KeyExistsAsync(keys.Waiters));
        Assert.True(await db.KeyExistsAsync(keys.Counter));
    }
}
