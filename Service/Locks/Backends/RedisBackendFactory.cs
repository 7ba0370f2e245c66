using Coord.Locks;
using Coord.Locks.Redis;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: redis</c> — one Redis server (or a primary with replicas); settings of <see cref="RedisLockOptions"/>.</summary>
public sealed class RedisBackendFactory : LockBackendFactory<RedisLockOptions>
{
    public override string Type => "redis";

    protected override ILockLeases Create(RedisLockOptions options, ILoggerFactory loggers)
        => new RedisLock(options, loggers.CreateLogger<RedisLock>());

    protected override SemaphoreProvider CreateSemaphore(RedisLockOptions options, ILoggerFactory loggers)
        => new RedisSemaphore(options, loggers.CreateLogger<RedisSemaphore>());

    // A leadership is a hold by token in Redis, so any instance can renew or resign a REST campaign.
    protected override LeaderElectionProvider CreateElection(IConfigurationSection settings, TimeProvider time, ILoggerFactory loggers)
        => new RedisLeaderElection(Bind<RedisLockOptions>(settings, time), loggers.CreateLogger<RedisLeaderElection>());
}
