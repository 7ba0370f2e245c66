using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Where one election lives in Redis: the keys of a one-holder hold of kind <c>elect</c> (<see cref="RedisSemaphoreKeys"/>:
/// <c>elect:</c> the leader with its lease, <c>elect-grants:</c> its term, <c>elect-counter:</c> the term counter,
/// <c>elect-queue:</c> and <c>elect-waiters:</c> the candidates in line), plus <c>elect-values:</c> each candidate's
/// value by holder token (hash) and the pub/sub channel <c>elect-changes:</c> on which every change of leader or value
/// is announced. The kind comes before the name as for every other key, so no election reaches a lock's, semaphore's
/// or reader-writer lock's keys.
/// </summary>
internal sealed class RedisElectionKeys
{
    /// <summary>The kind of an election's hold keys.</summary>
    public const string Kind = "elect";

    public RedisElectionKeys(RedisSemaphoreKeys holds, string prefix)
    {
        Holds = holds;
        Values = prefix + Kind + "-values:" + holds.Name;
        ChangesName = prefix + Kind + "-changes:" + holds.Name;
        Changes = RedisChannel.Literal(ChangesName);
        All = [holds.Holders, holds.Grants, holds.Counter, holds.Queue, Values];
    }

    public RedisSemaphoreKeys Holds { get; }

    /// <summary>Hash: holder token to the value that candidate announces.</summary>
    public string Values { get; }

    /// <summary>The name of <see cref="Changes"/>.</summary>
    public string ChangesName { get; }

    /// <summary>Where each change is published (the message is only a nudge to read again).</summary>
    public RedisChannel Changes { get; }

    /// <summary>KEYS of every election script: holders, grants, counter, queue, values.</summary>
    public RedisKey[] All { get; }
}
