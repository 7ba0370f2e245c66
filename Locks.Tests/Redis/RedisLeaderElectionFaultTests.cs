using Coord.LockHolder;
using Coord.Locks.Redis;
using Coord.Locks.Tests.Contract;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Redis;

public sealed class RedisLeaderElectionFaultTests(RedisServerFixture redis, ITestOutputHelper output) : LeaderElectionFaultTests(output), IClassFixture<RedisServerFixture>
{
    protected override string Mode => "redis-leader";

    protected override string Connection => redis.Server.ConnectionString;

    protected override LeaderElectionProvider CreateClientCore() => new RedisLeaderElection(new RedisLockOptions { Configuration = redis.Server.ConnectionString });

    protected override Task<bool> WriteAsync(string register, long term, string payload) => RedisFencedRegister.WriteAsync(redis.Raw.GetDatabase(), register, term, payload);

    protected override Task<(long? Term, string? Payload)> ReadAsync(string register) => RedisFencedRegister.ReadAsync(redis.Raw.GetDatabase(), register);
}
