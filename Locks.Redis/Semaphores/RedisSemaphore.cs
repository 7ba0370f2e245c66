using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>
/// Semaphores on one Redis server (or a primary with replicas): at most <c>maxCount</c> permits of a name
/// at once, handed out first come, first served. Each operation is one Lua script over the name's holders
/// (a sorted set by lease expiry), its line of waiters and its fence counter; a freed permit goes straight
/// to the first live waiter, with one message to that waiter's process alone (none when it waits in the
/// releasing process), on the wake channel the process's Redis locks use too.
/// </summary>
/// <remarks>
/// Key layout and scripts: see <see cref="RedisSemaphoreKeys"/> and <see cref="RedisSemaphoreScripts"/>.
/// Fencing tokens are safe as long as the counter key survives, as for <see cref="RedisLock"/> (persistence
/// and <c>maxmemory-policy noeviction</c>).
/// </remarks>
public sealed class RedisSemaphore : SemaphoreProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings, as for <see cref="RedisLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisSemaphore(RedisLockOptions options, ILogger<RedisSemaphore>? logger = null)
        : base(options, logger, RedisHolds.Backend, provider => new RedisHolds(options, RedisSemaphoreKeys.SemaphoreKind, provider))
    {
    }
}
