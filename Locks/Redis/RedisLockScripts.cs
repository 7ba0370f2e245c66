namespace Coord.Locks.Redis;

/// <summary>
/// The Lua scripts behind <see cref="RedisLock"/>. Each runs atomically on the server, so one round
/// trip decides an acquire, a renewal or a release together with its queue bookkeeping.
/// KEYS are always [lock, fence, queue, waiters] (see <see cref="RedisLockKeys"/>).
/// </summary>
internal static class RedisLockScripts
{
    // Waiter entries are "ttlMs:placeExpiresAtMs". A head whose place lease ran out belongs to a dead
    // process and is dropped, so it cannot block the queue for longer than that lease.
    internal const string LiveHead = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
        end
        local function live_head(now)
          while true do
            local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
            if not head then return nil, nil end
            local info = redis.call('HGET', KEYS[4], head)
            if info then
              local sep = string.find(info, ':', 1, true)
              if tonumber(string.sub(info, sep + 1)) > now then
                return head, string.sub(info, 1, sep - 1)
              end
            end
            redis.call('ZREM', KEYS[3], head)
            redis.call('HDEL', KEYS[4], head)
          end
        end
        -- A place in line: kept at its first score, with a lease the waiter must keep refreshing.
        -- The queue itself vanishes once no live waiter refreshes it.
        local function take_place(token, score, ttl, now, lease)
          redis.call('ZADD', KEYS[3], 'NX', score, token)
          redis.call('HSET', KEYS[4], token, ttl .. ':' .. (now + lease))
          redis.call('PEXPIRE', KEYS[3], lease * 2)
          redis.call('PEXPIRE', KEYS[4], lease * 2)
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, enqueue (1/0). Returns {1, fence} when the token holds the
    /// lock (taken now, or handed to it by a release), else {0, msUntilWorthRetrying}.
    /// A free lock goes only to the head of the queue, so a releaser that asks again cannot barge.
    /// </summary>
    public const string Acquire = LiveHead + """

        local now, t = now_ms()
        local token = ARGV[1]
        local holder = redis.call('GET', KEYS[1])
        if holder == token then
          return {1, tonumber(redis.call('GET', KEYS[2]))}
        end
        if not holder then
          local head = live_head(now)
          if (not head) or head == token then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            local fence = redis.call('INCR', KEYS[2])
            if head then
              redis.call('ZREM', KEYS[3], token)
              redis.call('HDEL', KEYS[4], token)
            end
            return {1, fence}
          end
        end
        local lease = tonumber(ARGV[3])
        if ARGV[4] == '1' then
          take_place(token, tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[2], now, lease)
        end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 0 then pttl = lease end
        return {0, pttl}
        """;

    /// <summary>ARGV: token, ttlMs. Returns 1 when the token held the lock and its lease was extended.</summary>
    public const string Renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>
    /// ARGV: token, wake channel. Leaves the queue (for a waiter that gives up) and, when the token
    /// holds the lock, hands it straight to the first live waiter: sets the key to that waiter's
    /// token, bumps the fence and publishes "token:fence", so the lock is never free while someone waits.
    /// Returns 1 when the token held the lock.
    /// </summary>
    public const string Release = LiveHead + """

        local token = ARGV[1]
        redis.call('ZREM', KEYS[3], token)
        redis.call('HDEL', KEYS[4], token)
        if redis.call('GET', KEYS[1]) ~= token then
          return 0
        end
        local head, ttl = live_head(now_ms())
        if head then
          redis.call('SET', KEYS[1], head, 'PX', ttl)
          local fence = redis.call('INCR', KEYS[2])
          redis.call('ZREM', KEYS[3], head)
          redis.call('HDEL', KEYS[4], head)
          redis.call('PUBLISH', ARGV[2], head .. ':' .. fence)
        else
          redis.call('DEL', KEYS[1])
        end
        return 1
        """;
}
