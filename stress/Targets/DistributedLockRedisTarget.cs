using Coord.Stress.Servers;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Coord.Stress.Targets;

/// <summary>
/// Peer: DistributedLock.Redis (<see cref="RedisDistributedLock"/>) with its default busy-wait (waiters
/// sleep 10–800 ms between tries), each client on its own connection to the same server as Coord's.
/// </summary>
public sealed class DistributedLockRedisTarget(string configuration, string keyPrefix, IReadOnlyList<IServerCounter> serverCounters)
    : LockTarget("dlock-redis", "DistributedLock.Redis", isPeer: true, serverCounters)
{
    public override bool SupportsFencing => false;

    public override async Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Client(connection, keyPrefix);
    }

    private sealed class Client(ConnectionMultiplexer connection, string keyPrefix) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var @lock = new RedisDistributedLock(keyPrefix + name, connection.GetDatabase(), o => o.Expiry(ttl));
            var handle = await @lock.TryAcquireAsync(wait, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new Held(handle);
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Held(RedisDistributedLockHandle handle) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => handle.HandleLostToken.IsCancellationRequested;
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
