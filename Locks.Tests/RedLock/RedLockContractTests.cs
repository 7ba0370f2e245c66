using Coord.Locks.Redis;
using Coord.Locks.RedLock;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.RedLock;

public sealed class RedLockContractTests(RedisMastersFixture redis) : LockContractTests, IClassFixture<RedisMastersFixture>
{
    private const string Prefix = "coord:";

    protected override bool SupportsFencing => false;

    protected override Task<LockProvider> CreateClientCoreAsync()
        => Task.FromResult<LockProvider>(new RedLockLock(new RedLockOptions { Masters = [.. redis.Masters.ConnectionStrings], KeyPrefix = Prefix }));

    protected override async Task TakeAwayAsync(string name)
    {
        var key = new RedisLockKeys(Prefix, name).Lock;
        var deleted = await Task.WhenAll(redis.Raw.Select(r => r.GetDatabase().KeyDeleteAsync(key)));
        Assert.True(deleted.Count(d => d) >= 2, $"'{name}' was not held on a majority of masters");
    }
}
