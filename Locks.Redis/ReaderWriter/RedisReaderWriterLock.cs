using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>
/// Reader-writer locks on one Redis server (or a primary with replicas): many readers of a name at once, or one
/// writer, served first come, first served from one line of readers and writers, so a waiting writer keeps back
/// the readers that arrive after it. It runs the Redis semaphore's scripts (<see cref="RedisSemaphoreScripts"/>)
/// on keys of its own kind (<c>rw:</c>, <c>rw-grants:</c>, <c>rw-counter:</c>, <c>rw-queue:</c>,
/// <c>rw-waiters:</c>, see <see cref="RedisSemaphoreKeys"/>): a reader is a shared hold of a name admitting
/// <see cref="ReaderWriterLockProvider.MaxReaders"/>, a writer an exclusive one. A release lets in every waiter at the
/// head of the line that now fits (a writer, or the readers up to the next waiting writer), with one message
/// to each one's process (none to the releasing process's own), on the wake channel the process's Redis locks use too.
/// </summary>
/// <remarks>
/// Fencing tokens come from one counter per name for readers and writers alike, so a writer's token is above
/// every earlier reader's and writer's. They are safe as long as the counter key survives, as for
/// <see cref="RedisLock"/> (persistence and <c>maxmemory-policy noeviction</c>).
/// </remarks>
public sealed class RedisReaderWriterLock : ReaderWriterLockProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings, as for <see cref="RedisLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisReaderWriterLock(RedisLockOptions options, ILogger<RedisReaderWriterLock>? logger = null)
        : base(options, logger, RedisHolds.Backend, provider => new RedisHolds(options, RedisSemaphoreKeys.ReaderWriterKind, provider))
    {
    }
}
