using Coord.Locks.Redis;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisReaderWriterLockFaultTests(RedisServerFixture redis, ITestOutputHelper output) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_writer_process_lets_the_waiting_readers_in_within_TTL_plus_1_s_with_higher_fences()
    {
        await using var client = new RedisReaderWriterLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString });
        output.WriteLine(await KilledWriter.AssertReadersGetInWithinTtlAsync(client, "redis-writer", redis.Server.ConnectionString, TimeSpan.FromSeconds(3)));
    }
}
