using Coord.Locks.Redis;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisSemaphoreFaultTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_process_holding_every_permit_frees_them_within_TTL_plus_1_s_to_a_waiter_with_higher_fences()
    {
        await using var client = new RedisSemaphore(new RedisLockOptions { Configuration = redis.Server.ConnectionString });
        await LockHolderProcess.AssertKilledPermitHolderFreesThePermitsWithinTtlAsync(client, "redis-semaphore", redis.Server.ConnectionString);
    }
}
