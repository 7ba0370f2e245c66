namespace Coord.Locks.Redis;

/// <summary>
/// The Lua scripts behind <see cref="RedisLock"/>. Each runs atomically on the server, so one round
/// trip decides an acquire, a renewal or a release together with its queue bookkeeping.
/// KEYS are always [lock, fence, queue, waiters] (see <see cref="RedisLockKeys"/>).
/// </summary>
/// <remarks>
/// A waiter's entry in the waiters hash is <c>"ttlMs:placeExpiresAtMs:channel"</c>, the channel being
/// its provider's (<see cref="RedisWakeChannel"/>). A hand-off message is
/// <c>"token:fence:serverSeconds:serverMicroseconds"</c>: the server time of the hand-off, which the
/// waiter compares with the server time its last attempt reported, to date its lease safely.
/// </remarks>
internal static class RedisLockScripts
{
    internal const string Queue = """
        local function clock()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t[1], t[2]
        end
        local function entry(info)
          local a = string.find(info, ':', 1, true)
          local b = string.find(info, ':', a + 1, true)
          return string.sub(info, 1, a - 1), tonumber(string.sub(info, a + 1, b - 1)), string.sub(info, b + 1)
        end
        -- A place in line: kept at its first score, with a lease the waiter must keep refreshing.
        -- The queue itself vanishes once no live waiter refreshes it.
        local function take_place(token, score, ttl, now, lease, channel)
          redis.call('ZADD', KEYS[3], 'NX', score, token)
          redis.call('HSET', KEYS[4], token, ttl .. ':' .. (now + lease) .. ':' .. channel)
          redis.call('PEXPIRE', KEYS[3], lease * 2)
          redis.call('PEXPIRE', KEYS[4], lease * 2)
        end
        """;

    // Gives the free lock to the first live waiter: the key set to its token with its own TTL from now,
    // the fence bumped, and one message to its provider's channel, or none when that provider is the
    // caller's (it hands over in process). Waiters whose place lease ran out, or whose channel has no
    // subscriber left (their process died), are dropped on the way. Returns the new holder's token,
    // fence and channel; 'self' when the caller's own token comes first; nil when nobody live waits.
    // The server time is read only once the queue turned out not to be empty (the uncontended path
    // does without it) and returned last, nil when it was not needed.
    internal const string HandOff = Queue + """

        local function hand_off(self, local_channel)
          local now, sec, usec
          while true do
            local head = redis.call('ZPOPMIN', KEYS[3])[1]
            if not head then return nil, nil, nil, now, sec, usec end
            if not now then now, sec, usec = clock() end
            local info = redis.call('HGET', KEYS[4], head)
            if info then redis.call('HDEL', KEYS[4], head) end
            if head == self then return 'self', nil, nil, now, sec, usec end
            if info then
              local ttl, expires, channel = entry(info)
              if expires > now then
                local fence = redis.call('INCR', KEYS[2])
                local reached = 1
                if channel ~= local_channel then
                  reached = redis.call('PUBLISH', channel, head .. ':' .. fence .. ':' .. sec .. ':' .. usec)
                end
                if reached > 0 then
                  redis.call('SET', KEYS[1], head, 'PX', ttl)
                  return head, fence, channel, now, sec, usec
                end
                redis.call('DECR', KEYS[2])
              end
            end
          end
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), channel. Returns
    /// {held, fence or msUntilWorthRetrying, serverSeconds, serverMicroseconds, localToken, localFence}:
    /// held 1 when the token holds the lock (taken now, or handed to it earlier: then its lease restarts
    /// now, so the client that dates it from this request never overstates it). A free lock goes to the
    /// first live waiter, so a releaser that asks again cannot barge; localToken names a waiter of the
    /// caller's provider that this call handed the lock to ('' when none).
    /// </summary>
    public const string Acquire = HandOff + """

        local token = ARGV[1]
        local holder = redis.call('GET', KEYS[1])
        if holder == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, tonumber(redis.call('GET', KEYS[2])), '0', '0', '', 0}
        end
        local now, sec, usec
        local local_token, local_fence = '', 0
        if not holder then
          local head, fence, channel
          head, fence, channel, now, sec, usec = hand_off(token, ARGV[5])
          if head == nil or head == 'self' then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            return {1, redis.call('INCR', KEYS[2]), '0', '0', '', 0}
          end
          if channel == ARGV[5] then local_token, local_fence = head, fence end
        end
        if not now then now, sec, usec = clock() end
        local lease = tonumber(ARGV[3])
        if ARGV[4] == '1' then
          take_place(token, tonumber(sec) * 1000000 + tonumber(usec), ARGV[2], now, lease, ARGV[5])
        end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 0 then pttl = lease end
        return {0, pttl, sec, usec, local_token, local_fence}
        """;

    /// <summary>
    /// ARGV: token, ttlMs. For a waiter whose wait ran out: leaves the queue, and if a release handed it
    /// the lock meanwhile, keeps it with a lease restarted now. Returns {1, fence} then, else {0, 0}.
    /// </summary>
    public const string Leave = """
        local token = ARGV[1]
        redis.call('ZREM', KEYS[3], token)
        redis.call('HDEL', KEYS[4], token)
        if redis.call('GET', KEYS[1]) == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, tonumber(redis.call('GET', KEYS[2]))}
        end
        return {0, 0}
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
    /// ARGV: token, channel. Leaves the queue (for a waiter that gives up) and, when the token holds the
    /// lock, hands it straight to the first live waiter, so the lock is never free while someone waits.
    /// Returns {held, serverSeconds, serverMicroseconds, localToken, localFence}, localToken naming a
    /// waiter of the caller's provider that was handed the lock ('' when none).
    /// </summary>
    public const string Release = HandOff + """

        local token = ARGV[1]
        if redis.call('GET', KEYS[1]) ~= token then
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
          return {0, '0', '0', '', 0}
        end
        local head, fence, channel, now, sec, usec = hand_off(token, ARGV[2])
        if head == nil or head == 'self' then
          redis.call('DEL', KEYS[1])
          return {1, '0', '0', '', 0}
        end
        if channel == ARGV[2] then return {1, sec, usec, head, fence} end
        return {1, sec, usec, '', 0}
        """;
}
