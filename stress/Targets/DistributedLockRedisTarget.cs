using Coord.Stress.Servers;
using Medallion.Threading;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Coord.Stress.Targets;

/// <summary>
/// Peer: DistributedLock.Redis with its default busy-wait (waiters sleep 10–800 ms between tries), each
/// client on its own connection to the same server as Coord's: <see cref="RedisDistributedLock"/>
/// (<c>dlock-redis</c>), or with <paramref name="permits"/> <see cref="RedisDistributedSemaphore"/>
/// (<c>dlock-redis-sem</c>, a sorted set of holders per name, no queue of waiters).
/// </summary>
public sealed class DistributedLockRedisTarget(StressRedis redis, string keyPrefix, int? permits = null)
    : LockTarget(permits is null ? "dlock-redis" : "dlock-redis-sem", permits is null ? "DistributedLock.Redis" : "DistributedLock.Redis semaphore", isPeer: true, redis.Counters())
{
    public override bool SupportsFencing => false;

    public override async Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var connection = await redis.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return new Client(connection, keyPrefix, permits);
    }

    private sealed class Client(ConnectionMultiplexer connection, string keyPrefix, int? permits) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var key = keyPrefix + name;
            var handle = permits is { } n
                ? await new RedisDistributedSemaphore(key, n, connection.GetDatabase(), o => o.Expiry(ttl)).TryAcquireAsync(wait, cancellationToken).ConfigureAwait(false)
                : (IDistributedSynchronizationHandle?)await new RedisDistributedLock(key, connection.GetDatabase(), o => o.Expiry(ttl)).TryAcquireAsync(wait, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new Held(handle);
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Held(IDistributedSynchronizationHandle handle) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => handle.HandleLostToken.IsCancellationRequested;
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
