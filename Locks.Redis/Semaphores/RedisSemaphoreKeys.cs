using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Where one semaphore or reader-writer lock lives in Redis, kind before name as for locks
/// (<see cref="RedisLockKeys"/>), so no name reaches another's keys: <c>sem:</c> (<c>rw:</c> for a
/// reader-writer lock) the holders (sorted set, token by lease expiry in server milliseconds), <c>sem-grants:</c>
/// each holder's fencing token (hash), <c>sem-counter:</c> the fence counter, the max count in use and the
/// exclusive holder if any (hash, never expires), <c>sem-queue:</c> the waiters in arrival order (sorted set) and
/// <c>sem-waiters:</c> each waiter's TTL, kind of hold, place lease and wake-up channel (hash). No kind is a
/// lock's (<c>lock</c>, <c>fence</c>, <c>queue</c>, <c>waiters</c>, <c>wake</c>) and each ends at the colon, so
/// the three primitives never share a key.
/// </summary>
internal sealed class RedisSemaphoreKeys
{
    /// <summary>The kind of a semaphore's keys.</summary>
    public const string SemaphoreKind = "sem";

    /// <summary>The kind of a reader-writer lock's keys.</summary>
    public const string ReaderWriterKind = "rw";

    public RedisSemaphoreKeys(string prefix, string name, string kind = SemaphoreKind)
    {
        Name = name;
        Holders = prefix + kind + ":" + name;
        Grants = prefix + kind + "-grants:" + name;
        Counter = prefix + kind + "-counter:" + name;
        Queue = prefix + kind + "-queue:" + name;
        Waiters = prefix + kind + "-waiters:" + name;
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
