using Coord.Stress.Servers;
using RedLockNet.SERedis;
using RedLockNet.SERedis.Configuration;
using StackExchange.Redis;

namespace Coord.Stress.Targets;

/// <summary>
/// Peer: RedLock.net used directly (<see cref="RedLockFactory"/>) over the same independent masters as
/// Coord's RedLock mode. It waits by retrying every <paramref name="retry"/>; no queue, no fencing token.
/// </summary>
public sealed class RedLockNetTarget(StressRedLockMasters masters, string keyPrefix, TimeSpan retry)
    : LockTarget("redlock-net", "RedLock.net", isPeer: true, masters.Counters())
{
    public override bool SupportsFencing => false;

    public override async Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var connections = await masters.ConnectAllAsync(cancellationToken).ConfigureAwait(false);
        var factory = RedLockFactory.Create(connections.Select(c => new RedLockMultiplexer(c)).ToList());
        return new Client(factory, connections, keyPrefix, retry);
    }

    private sealed class Client(RedLockFactory factory, List<ConnectionMultiplexer> connections, string keyPrefix, TimeSpan retry) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var redLock = await factory.CreateLockAsync(keyPrefix + name, ttl, wait, retry, cancellationToken).ConfigureAwait(false);
            if (redLock.IsAcquired)
                return new Held(redLock);
            await redLock.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        public async ValueTask DisposeAsync()
        {
            factory.Dispose();
            foreach (var connection in connections)
                await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Held(RedLockNet.IRedLock redLock) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => !redLock.IsAcquired;
        public ValueTask ReleaseAsync() => redLock.DisposeAsync();
    }
}
