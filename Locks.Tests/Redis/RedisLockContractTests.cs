using Coord.Locks.Redis;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisLockContractTests(RedisServerFixture redis) : LockContractTests, IClassFixture<RedisServerFixture>
{
    private const string Prefix = "coord:";

    protected override Task<LockProvider> CreateClientCoreAsync()
        => Task.FromResult<LockProvider>(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, KeyPrefix = Prefix }));

    protected override async Task TakeAwayAsync(string name)
        => Assert.True(await redis.Raw.GetDatabase().KeyDeleteAsync(new RedisLockKeys(Prefix, name).Lock), $"nobody held '{name}'");
}
