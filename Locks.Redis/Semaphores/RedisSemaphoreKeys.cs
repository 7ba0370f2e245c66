using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Where one semaphore lives in Redis, kind before name as for locks (<see cref="RedisLockKeys"/>), so no
/// name reaches another semaphore's or a lock's keys: <c>sem:</c> the holders (sorted set, token by lease
/// expiry in server milliseconds), <c>sem-grants:</c> each holder's fencing token (hash),
/// <c>sem-counter:</c> the fence counter and the max count in use (hash, never expires),
/// <c>sem-queue:</c> the waiters in arrival order (sorted set) and <c>sem-waiters:</c> each waiter's TTL,
/// place lease and wake-up channel (hash).
/// </summary>
internal sealed class RedisSemaphoreKeys
{
    public RedisSemaphoreKeys(string prefix, string name)
    {
        Name = name;
        Holders = prefix + "sem:" + name;
        Grants = prefix + "sem-grants:" + name;
        Counter = prefix + "sem-counter:" + name;
        Queue = prefix + "sem-queue:" + name;
        Waiters = prefix + "sem-waiters:" + name;
        All = [Holders, Grants, Counter, Queue, Waiters];
    }

    public string Name { get; }
    public string Holders { get; }
    public string Grants { get; }
    public string Counter { get; }
    public string Queue { get; }
    public string Waiters { get; }

    /// <summary>KEYS of every script, in this order.</summary>
    public RedisKey[] All { get; }
}
