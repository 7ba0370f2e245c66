using Coord.Locks.Internal;

namespace Coord.Locks.Redis;

/// <summary>
/// The Lua scripts behind <see cref="RedisLock"/>. Each runs atomically on the server, so one round
/// trip decides an acquire, a renewal or a release together with its queue bookkeeping.
/// KEYS are always [lock, fence, queue, waiters] (see <see cref="RedisLockKeys"/>).
/// </summary>
/// <remarks>
/// A script runs from its first line on every call, and each function definition on the way builds its
/// closure anew, so acquire and release decide the uncontended case (the common one) above the functions.
/// A waiter's entry in the waiters hash is <c>"ttlMs:placeExpiresAtMs:channel"</c>, the channel being
/// its process's (<see cref="RedisWakeChannel"/>). A hand-off message is
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

    // The bounded local pass (LocalPassPolicy), shared with RedLock's scripts. choose: who gets a free
    // lock whose first live waiter is 'head' (ttl, channel, queue score): the head, or 'candidate' (its
    // entry c_info: the first waiter of the caller's process) when the head waits in another process and
    // fewer than MaxPassesInARow passes ('passes', the waiters hash's count) came in a row; a passed head
    // keeps its place. settle: the new holder's entry goes, and the count rises by one for a pass, else
    // starts again from zero.
    internal static readonly string LocalPass = Queue + $$"""

        local function choose(head, score, ttl, channel, passes, candidate, c_info, local_channel, now)
          if channel ~= local_channel and c_info and tonumber(passes or '0') < {{LocalPassPolicy.MaxPassesInARow}} then
            local c_ttl, c_expires, c_channel = entry(c_info)
            if c_expires > now and c_channel == local_channel then
              redis.call('ZADD', KEYS[3], score, head)
              redis.call('ZREM', KEYS[3], candidate)
              return candidate, c_ttl, c_channel, true
            end
          end
          return head, ttl, channel, false
        end
        local function settle(to, passed)
          if passed then
            redis.call('HDEL', KEYS[4], to)
            redis.call('HINCRBY', KEYS[4], 'passes', 1)
          else
            redis.call('HDEL', KEYS[4], to, 'passes')
          end
        end
        """;

    // Gives the free lock to the first live waiter: the key set to its token with its own TTL from now,
    // the fence bumped, and one message to its process's channel, or none when that channel is the
    // caller's (the caller hands over in process). Waiters whose place lease ran out, or whose channel has
    // no subscriber left (their process died), are dropped on the way. A bounded local pass: while the
    // head waits in another process, 'candidate' (the caller's own process's first waiter, '' for none)
    // goes first instead, at most MaxPassesInARow times in a row, counted in the waiters hash's field
    // 'passes' (set back by any other hand-off); the head keeps its place. Returns the new holder's token,
    // fence and channel; 'self' when the caller's own token comes first; nil when nobody live waits.
    // The server time is read only once the queue turned out not to be empty and returned last.
    internal static readonly string HandOff = LocalPass + """

        local function hand_off(self, local_channel, candidate)
          local now, sec, usec
          while true do
            local popped = redis.call('ZPOPMIN', KEYS[3])
            local head = popped[1]
            if not head then return nil, nil, nil, now, sec, usec end
            if not now then now, sec, usec = clock() end
            local found = redis.call('HMGET', KEYS[4], head, 'passes', candidate)
            local info = found[1]
            if head == self then
              if info then redis.call('HDEL', KEYS[4], head) end
              return 'self', nil, nil, now, sec, usec
            end
            local ttl, expires, channel
            if info then ttl, expires, channel = entry(info) end
            if info and expires > now then
              local to, to_ttl, to_channel, passed = choose(head, popped[2], ttl, channel, found[2], candidate, found[3], local_channel, now)
              local fence = redis.call('INCR', KEYS[2])
              local reached = 1
              if to_channel ~= local_channel then
                reached = redis.call('PUBLISH', to_channel, to .. ':' .. fence .. ':' .. sec .. ':' .. usec)
              end
              if reached > 0 then
                settle(to, passed)
                redis.call('SET', KEYS[1], to, 'PX', to_ttl)
                return to, fence, to_channel, now, sec, usec
              end
              redis.call('DECR', KEYS[2])
            end
            if info then redis.call('HDEL', KEYS[4], head) end
          end
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), channel. Returns the fence (an integer) when the
    /// token holds the lock (taken now, or handed to it earlier: then its lease restarts now, so the
    /// client that dates it from this request never overstates it), else
    /// {msUntilWorthRetrying, serverSeconds, serverMicroseconds, localToken, localFence}. A free lock goes
    /// to the first live waiter, so a releaser that asks again cannot barge; localToken names a waiter of
    /// the caller's process that this call handed the lock to ('' when none).
    /// </summary>
    public static readonly RedisScript Acquire = new("""
        -- Uncontended: nobody waits and the lock is free. (The fence comes from the counter, not from
        -- anything that expires with the lock.)
        if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[3]) == 0 and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return redis.call('INCR', KEYS[2])
        end

        """ + HandOff + """

        local token = ARGV[1]
        local holder
        if ARGV[4] == '1' then
          -- A waiter mostly finds the lock held, and then this one read decides.
          holder = redis.call('GET', KEYS[1])
          if not holder and redis.call('EXISTS', KEYS[3]) == 0 then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            return redis.call('INCR', KEYS[2])
          end
        else
          holder = redis.call('GET', KEYS[1])
        end
        if holder == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return tonumber(redis.call('GET', KEYS[2]))
        end
        local now, sec, usec
        local local_token, local_fence = '', 0
        if not holder then
          local head, fence, channel
          head, fence, channel, now, sec, usec = hand_off(token, ARGV[5], '')
          if head == nil or head == 'self' then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            return redis.call('INCR', KEYS[2])
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
        return {pttl, sec, usec, local_token, local_fence}
        """);

    /// <summary>
    /// ARGV: token, ttlMs. For a waiter whose wait ran out: leaves the queue, and if a release handed it
    /// the lock meanwhile, keeps it with a lease restarted now. Returns {1, fence} then, else {0, 0}.
    /// </summary>
    public static readonly RedisScript Leave = new("""
        local token = ARGV[1]
        redis.call('ZREM', KEYS[3], token)
        redis.call('HDEL', KEYS[4], token)
        if redis.call('GET', KEYS[1]) == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, tonumber(redis.call('GET', KEYS[2]))}
        end
        return {0, 0}
        """);

    /// <summary>ARGV: token, ttlMs. Returns 1 when the token held the lock and its lease was extended.</summary>
    public static readonly RedisScript Renew = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """);

    /// <summary>
    /// ARGV: token, channel, candidate. Leaves the queue (for a waiter that gives up) and, when the token
    /// holds the lock, hands it straight to the first live waiter (or, for a bounded local pass, to
    /// candidate: the first waiter of the caller's process, '' for none), so the lock is never free while
    /// someone waits. Returns 1 when the token held the lock, 0 when not, and
    /// {serverSeconds, serverMicroseconds, localToken, localFence} when it held it and handed it to
    /// localToken, a waiter of the caller's process (which no message told).
    /// </summary>
    public static readonly RedisScript Release = new("""
        -- Uncontended: nobody waits, so freeing is all there is to do (the waiters hash holds at most the pass count).
        if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1], KEYS[4])
          return 1
        end

        """ + HandOff + """

        local token = ARGV[1]
        if redis.call('GET', KEYS[1]) ~= token then
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
          return 0
        end
        local head, fence, channel, now, sec, usec = hand_off(token, ARGV[2], ARGV[3])
        if head == nil then
          -- Nobody waits: the waiters hash holds at most the pass count, which starts again with the next line.
          redis.call('DEL', KEYS[1], KEYS[4])
          return 1
        end
        if head == 'self' then
          redis.call('DEL', KEYS[1])
          return 1
        end
        if channel == ARGV[2] then return {sec, usec, head, fence} end
        return 1
        """);
}
