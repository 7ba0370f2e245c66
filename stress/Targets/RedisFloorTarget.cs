using System.Security.Cryptography;
using Coord.Stress.Servers;
using StackExchange.Redis;

namespace Coord.Stress.Targets;

/// <summary>
/// Anchor: the fewest round trips a Redis lock with a safe release can make, through StackExchange.Redis
/// with no library logic, on the same server as Coord: a hold is one <c>SET key token NX PX ttl</c> and a
/// release one compare-and-delete script. No fence, no renewal, no queue, no lost signal.
/// </summary>
/// <remarks>
/// It anchors the uncontended column: Coord and DistributedLock.Redis both make these same two round
/// trips, so neither can be much faster than this. Contended, a waiter polls every millisecond, which is
/// no floor of anything; read only the uncontended number.
/// </remarks>
public sealed class RedisFloorTarget(StressRedis redis, string keyPrefix)
    : LockTarget("redis-floor", "Redis floor (SET NX PX + compare-and-delete)", isPeer: true, redis.Counters())
{
    private const string CompareAndDelete = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(1);

    public override bool SupportsFencing => false;

    public override async Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
        => new Client(await redis.ConnectAsync(cancellationToken).ConfigureAwait(false), keyPrefix);

    private sealed class Client(ConnectionMultiplexer connection, string keyPrefix) : ILockClient
    {
        private readonly IDatabase _db = connection.GetDatabase();

        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            RedisKey key = keyPrefix + "floor:" + name;
            RedisValue token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var deadline = DateTime.UtcNow + wait;
            while (!await _db.StringSetAsync(key, token, ttl, When.NotExists).ConfigureAwait(false))
            {
                if (DateTime.UtcNow >= deadline)
                    return null;
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
            return new Held(_db, key, token);
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Held(IDatabase db, RedisKey key, RedisValue token) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => false;
        public async ValueTask ReleaseAsync() => await db.ScriptEvaluateAsync(CompareAndDelete, [key], [token]).ConfigureAwait(false);
    }
}
