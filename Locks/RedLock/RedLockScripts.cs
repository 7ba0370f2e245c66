using Coord.Locks.Redis;

namespace Coord.Locks.RedLock;

/// <summary>
/// The per-master scripts of <see cref="RedLockLock"/>: the single-server scripts without the fence
/// counter and without hand-off, because a release on one master cannot know what the others decide.
/// Instead the release wakes only the first live waiter, which then asks every master again.
/// KEYS are [lock, fence, queue, waiters] as in <see cref="RedisLockKeys"/>; the fence key is unused.
/// </summary>
internal static class RedLockScripts
{
    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, enqueue (1/0), ticket. Returns {1, 0} when the token holds
    /// this master's key, else {0, msUntilWorthRetrying}. The ticket orders the queue; the client gives
    /// every master the same one, so all masters agree on who is first.
    /// </summary>
    public const string Acquire = RedisLockScripts.LiveHead + """

        local now, t = now_ms()
        local token = ARGV[1]
        local holder = redis.call('GET', KEYS[1])
        if holder == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, 0}
        end
        if not holder then
          local head = live_head(now)
          if (not head) or head == token then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            if head then
              redis.call('ZREM', KEYS[3], token)
              redis.call('HDEL', KEYS[4], token)
            end
            return {1, 0}
          end
        end
        local lease = tonumber(ARGV[3])
        if ARGV[4] == '1' then
          take_place(token, ARGV[5], ARGV[2], now, lease)
        end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 0 then pttl = lease end
        return {0, pttl}
        """;

    /// <summary>
    /// ARGV: token, wake channel, keepPlace (1/0). Leaves the queue (unless keepPlace: a waiter giving
    /// back a minority of votes stays in line) and, when the token holds this master's key, deletes it and
    /// publishes "head:0" so that only the first live waiter wakes. Returns 1 when it held the key.
    /// </summary>
    public const string Release = RedisLockScripts.LiveHead + """

        local token = ARGV[1]
        if ARGV[3] ~= '1' then
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
        end
        if redis.call('GET', KEYS[1]) ~= token then
          return 0
        end
        redis.call('DEL', KEYS[1])
        local head = live_head(now_ms())
        if head then
          redis.call('PUBLISH', ARGV[2], head .. ':0')
        end
        return 1
        """;
}
