using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Where one lock lives in Redis. Every key starts with the prefix and a kind, then the name as
/// given: <c>coord:lock:orders/42</c> holds the holder token (with the lease as its PX expiry),
/// <c>coord:fence:orders/42</c> the fencing counter (never expires), <c>coord:queue:orders/42</c>
/// the waiters in arrival order (sorted set) and <c>coord:waiters:orders/42</c> each waiter's TTL, place
/// lease and wake-up channel (hash; its field <c>passes</c> counts local passes in a row). Wake-up
/// channels belong to processes, not names: <c>coord:wake:&lt;random id&gt;</c>, one per process, server and prefix.
/// </summary>
/// <remarks>
/// The kind comes before the name, not after it, so no name can reach another lock's keys:
/// the lock <c>a:fence</c> is <c>coord:lock:a:fence</c>, while the fence of <c>a</c> is <c>coord:fence:a</c>.
/// </remarks>
public sealed class RedisLockKeys
{
    /// <summary>The keys of lock <paramref name="name"/> under <paramref name="prefix"/>.</summary>
    /// <param name="prefix">The key prefix, as <see cref="RedisLockOptions.KeyPrefix"/>.</param>
    /// <param name="name">The lock name, used as given.</param>
    public RedisLockKeys(string prefix, string name)
    {
        Name = name;
        Lock = prefix + "lock:" + name;
        Fence = prefix + "fence:" + name;
        Queue = prefix + "queue:" + name;
        Waiters = prefix + "waiters:" + name;
        All = [Lock, Fence, Queue, Waiters];
    }

    internal string Name { get; }

    /// <summary>String key holding the holder token, with the lease as its expiry.</summary>
    public string Lock { get; }

    /// <summary>Counter key of the fencing tokens; never expires.</summary>
    public string Fence { get; }

    /// <summary>Sorted-set key of the waiters in arrival order.</summary>
    public string Queue { get; }

    /// <summary>Hash key of each waiter's TTL, place lease and wake-up channel.</summary>
    public string Waiters { get; }

    internal RedisKey[] All { get; }
}
