namespace Coord.Locks.Redis;

/// <summary>
/// The Lua scripts behind <see cref="RedisSemaphore"/> and <see cref="RedisReaderWriterLock"/>, one per
/// operation, each atomic on the server. KEYS are always [holders, grants, counter, queue, waiters] (see
/// <see cref="RedisSemaphoreKeys"/>); the two primitives differ only in their keys' kind and in the requests
/// they send: every semaphore permit is shared (up to the max count), a reader is shared (up to
/// <see cref="ReaderWriterLockProvider.MaxReaders"/>) and a writer exclusive (<see cref="LockRequest.IsShared"/>).
/// </summary>
/// <remarks>
/// Every script first drops expired holders and lets in the first live waiters, as many as fit in turn
/// (a shared hold beside fewer than max holders none of which is exclusive, an exclusive one beside nobody),
/// so nobody can barge past the line and a waiting writer keeps back the readers behind it. The exclusive
/// holder's token is the counter's <c>excl</c> field, believed only while that token still holds. A waiter's
/// entry is <c>"ttlMs:shared:placeExpiresAtMs:channel"</c> (shared 1 or 0), and a hand-off message the lock's
/// <c>"token:fence:serverSeconds:serverMicroseconds"</c>, sent on the same per-process channel
/// (<see cref="RedisWakeChannel"/>), so one channel serves a process's locks and semaphores.
/// Local hand-offs (to a waiter of the caller's own process, which no message tells) come back at the end
/// of a reply as token, fence pairs.
/// </remarks>
internal static class RedisSemaphoreScripts
{
    private const string Common = """
        local function clock()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t[1], t[2]
        end
        -- The holders key (and the grants beside it) expires with the last lease, so an abandoned name leaves
        -- only its counter behind.
        local function keep_until_last_lease()
          local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
          if last[2] then
            redis.call('PEXPIREAT', KEYS[1], last[2])
            redis.call('PEXPIREAT', KEYS[2], last[2])
          end
        end
        local function grant(token, ttl, now, shared)
          local fence = redis.call('HINCRBY', KEYS[3], 'fence', 1)
          redis.call('ZADD', KEYS[1], now + ttl, token)
          redis.call('HSET', KEYS[2], token, fence)
          if shared ~= '1' then redis.call('HSET', KEYS[3], 'excl', token) end
          return fence
        end
        local function forget(token)
          redis.call('ZREM', KEYS[1], token)
          redis.call('HDEL', KEYS[2], token)
          if redis.call('HGET', KEYS[3], 'excl') == token then redis.call('HDEL', KEYS[3], 'excl') end
        end
        local function drop_expired(now)
          while true do
            local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            if not first[1] or tonumber(first[2]) > now then return end
            forget(first[1])
          end
        end
        -- Whether a hold of that kind fits beside the current (live) holders, the line aside.
        local function admits(shared, max)
          local holders = redis.call('ZCARD', KEYS[1])
          if shared ~= '1' then return holders == 0 end
          if holders >= max then return false end
          local excl = redis.call('HGET', KEYS[3], 'excl')
          return not excl or not redis.call('ZSCORE', KEYS[1], excl)
        end
        -- Lets in the first live waiters, in arrival order, while the head fits. A waiter whose place lease ran
        -- out, or whose process's channel has no subscriber left (it died), is dropped. 'self' (the caller's own
        -- token) and waiters on 'local_channel' get no message; the latter are returned for in-process delivery.
        local function hand_off(now, sec, usec, self, local_channel, locals)
          local max = tonumber(redis.call('HGET', KEYS[3], 'max') or '0')
          while true do
            local head = redis.call('ZRANGE', KEYS[4], 0, 0)[1]
            if not head then break end
            local info = redis.call('HGET', KEYS[5], head)
            local ttl, shared, expires, channel = 0, '1', 0, ''
            if info then
              local a = string.find(info, ':', 1, true)
              local b = string.find(info, ':', a + 1, true)
              local c = string.find(info, ':', b + 1, true)
              ttl, shared, expires, channel = tonumber(string.sub(info, 1, a - 1)), string.sub(info, a + 1, b - 1), tonumber(string.sub(info, b + 1, c - 1)), string.sub(info, c + 1)
            end
            local live = expires > now
            if live and not admits(shared, max) then break end
            redis.call('ZREM', KEYS[4], head)
            redis.call('HDEL', KEYS[5], head)
            if live then
              local reached = 1
              local fence = tonumber(redis.call('HGET', KEYS[3], 'fence') or '0') + 1
              if head ~= self and channel ~= local_channel then
                reached = redis.call('PUBLISH', channel, head .. ':' .. fence .. ':' .. sec .. ':' .. usec)
              end
              if reached > 0 then
                grant(head, ttl, now, shared)
                if head ~= self and channel == local_channel then
                  locals[#locals + 1] = head
                  locals[#locals + 1] = fence
                end
              end
            end
          end
          keep_until_last_lease()
        end
        local function settle(now, sec, usec, self, local_channel, locals)
          drop_expired(now)
          if redis.call('EXISTS', KEYS[4]) == 1 then hand_off(now, sec, usec, self, local_channel, locals) end
        end
        local function reply(head, sec, usec, locals)
          local out = {head[1], head[2], sec, usec}
          for i = 1, #locals do out[#out + 1] = locals[i] end
          return out
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), channel, maxCount, shared (1/0). Replies {status, value, serverSeconds,
    /// serverMicroseconds, local hand-offs...}: status 1 = the token holds a permit (taken now, or handed to it
    /// earlier: its lease then restarts now), value its fence; 0 = not yet, value the milliseconds until the
    /// first holder's lease runs out (worth looking again then); 2 = the name is in use with another max
    /// count, value that count, nothing changed.
    /// </summary>
    public static readonly RedisScript Acquire = new(Common + """

        local token, ttl, lease, channel, max, shared = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[5], tonumber(ARGV[6]), ARGV[7]
        local now, sec, usec = clock()
        local locals = {}
        settle(now, sec, usec, token, channel, locals)
        if redis.call('ZSCORE', KEYS[1], token) then
          redis.call('ZADD', KEYS[1], now + ttl, token)
          redis.call('ZREM', KEYS[4], token)
          redis.call('HDEL', KEYS[5], token)
          keep_until_last_lease()
          return reply({1, tonumber(redis.call('HGET', KEYS[2], token))}, sec, usec, locals)
        end
        local holders, queued = redis.call('ZCARD', KEYS[1]), redis.call('EXISTS', KEYS[4])
        local current = tonumber(redis.call('HGET', KEYS[3], 'max') or '0')
        if holders == 0 and queued == 0 then
          redis.call('HSET', KEYS[3], 'max', max)
        elseif current ~= max then
          return reply({2, current}, sec, usec, locals)
        end
        if queued == 0 and admits(shared, max) then
          local fence = grant(token, ttl, now, shared)
          keep_until_last_lease()
          return reply({1, fence}, sec, usec, locals)
        end
        if ARGV[4] == '1' then
          redis.call('ZADD', KEYS[4], 'NX', tonumber(sec) * 1000000 + tonumber(usec), token)
          redis.call('HSET', KEYS[5], token, ttl .. ':' .. shared .. ':' .. (now + lease) .. ':' .. channel)
          redis.call('PEXPIRE', KEYS[4], lease * 2)
          redis.call('PEXPIRE', KEYS[5], lease * 2)
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local retry = lease
        if first[2] then retry = math.max(1, tonumber(first[2]) - now) end
        return reply({0, retry}, sec, usec, locals)
        """);

    /// <summary>ARGV: token, ttlMs. Replies 1 when the token held a live permit and its lease was extended, else 0.</summary>
    public static readonly RedisScript Renew = new(Common + """

        local now = clock()
        local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not expires or tonumber(expires) <= now then return 0 end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
        keep_until_last_lease()
        return 1
        """);

    /// <summary>
    /// ARGV: token, channel. Ends the token's hold and lets in the waiters it made room for; for a token that holds
    /// none, leaves the line (a waiter giving up). Replies {released (1/0), 0, serverSeconds,
    /// serverMicroseconds, local hand-offs...}.
    /// </summary>
    public static readonly RedisScript Release = new(Common + """

        local token = ARGV[1]
        local now, sec, usec = clock()
        local locals = {}
        local expires = redis.call('ZSCORE', KEYS[1], token)
        local released = 0
        if expires then
          forget(token)
          if tonumber(expires) > now then released = 1 end
        else
          redis.call('ZREM', KEYS[4], token)
          redis.call('HDEL', KEYS[5], token)
        end
        settle(now, sec, usec, '', ARGV[2], locals)
        return reply({released, 0}, sec, usec, locals)
        """);

    /// <summary>
    /// ARGV: token, ttlMs, channel. For a waiter whose wait ran out: leaves the line, and keeps a hold handed to it
    /// meanwhile with its lease restarted now; then lets in whoever its place held back (the readers behind a
    /// writer that gave up). Replies {1, fence} then, else {0, 0}, followed by serverSeconds, serverMicroseconds
    /// and the local hand-offs.
    /// </summary>
    public static readonly RedisScript Leave = new(Common + """

        local token = ARGV[1]
        local now, sec, usec = clock()
        local locals = {}
        redis.call('ZREM', KEYS[4], token)
        redis.call('HDEL', KEYS[5], token)
        local result = {0, 0}
        local expires = redis.call('ZSCORE', KEYS[1], token)
        if expires and tonumber(expires) > now then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), token)
          keep_until_last_lease()
          result = {1, tonumber(redis.call('HGET', KEYS[2], token))}
        end
        settle(now, sec, usec, token, ARGV[3], locals)
        return reply(result, sec, usec, locals)
        """);
}
