using Coord.Locks.Redis;

namespace Coord.Locks.RedLock;

/// <summary>
/// The per-master scripts of <see cref="RedLockLock"/>: the single-server queue without the fence
/// counter. A release on one master hands that master's key straight to the first live waiter (the key
/// set to its token, with its TTL) and tells only that waiter's provider, with the master's clock at the
/// hand-off. The waiter holds the lock once a majority of masters have handed it their keys, dating its
/// lease from before the earliest of those writes, so a hand-off costs no further vote round.
/// KEYS are [lock, fence, queue, waiters] as in <see cref="RedisLockKeys"/>; the fence key is unused.
/// </summary>
/// <remarks>
/// A hand-off message is <c>"token:serverSeconds:serverMicroseconds"</c>. Every reply that did not give
/// the caller the key carries the master's clock too, so the waiter can turn the master time between its
/// last miss and the hand-off into a lower bound on its own clock for when the key was written.
/// </remarks>
internal static class RedLockScripts
{
    // Hands the free key to the first live waiter and tells it: a message to its process's channel, or
    // none when that is the caller's process (the caller delivers it in process). Waiters whose place
    // lease ran out or whose channel has no subscriber left (their process died) are dropped on the way.
    // The same bounded local pass as the single-server scripts: while the head waits in another process,
    // 'candidate' (the first waiter of the caller's process, '' for none) goes first instead, at most
    // MaxPassesInARow times in a row (the waiters hash's field 'passes'); the releaser names the same
    // candidate on every master, so the masters agree. Returns the new holder and its channel; the caller's
    // own token when it is first (its place is kept for the caller to settle); nil when nobody waits. The
    // server time is read only once someone waits.
    private static readonly string HandOver = RedisLockScripts.LocalPass + """

        local function hand_over(self, local_channel, candidate)
          local now, sec, usec
          while true do
            local popped = redis.call('ZPOPMIN', KEYS[3])
            local head = popped[1]
            if not head then return nil, nil, now, sec, usec end
            if head == self then
              redis.call('ZADD', KEYS[3], popped[2], head)
              return head, nil, now, sec, usec
            end
            if not now then now, sec, usec = clock() end
            local found = redis.call('HMGET', KEYS[4], head, 'passes', candidate)
            local info = found[1]
            local ttl, expires, channel
            if info then ttl, expires, channel = entry(info) end
            if info and expires > now then
              local to, to_ttl, to_channel, passed = choose(head, popped[2], ttl, channel, found[2], candidate, found[3], local_channel, now)
              if to_channel == local_channel or redis.call('PUBLISH', to_channel, to .. ':' .. sec .. ':' .. usec) > 0 then
                settle(to, passed)
                redis.call('SET', KEYS[1], to, 'PX', to_ttl)
                return to, to_channel, now, sec, usec
              end
            end
            if info then redis.call('HDEL', KEYS[4], head) end
          end
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), ticket, channel. Returns {1, 0, '', '0', '0'} when
    /// the token holds this master's key (taken now, handed to it earlier: then its lease restarts now, or
    /// renewed), else {0, msUntilWorthRetrying, localToken, serverSeconds, serverMicroseconds}, localToken
    /// naming a waiter of the caller's process that this call handed the key to ('' when none). The
    /// ticket orders the queue; the client gives every master the same one, so all masters agree on who
    /// is first.
    /// </summary>
    public static readonly RedisScript Acquire = new(HandOver + """

        local token = ARGV[1]
        local holder = redis.call('GET', KEYS[1])
        if holder == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, 0, '', '0', '0'}
        end
        local now, sec, usec
        local local_token = ''
        if not holder then
          local head, channel
          head, channel, now, sec, usec = hand_over(token, ARGV[6], '')
          if (not head) or head == token then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            if head then
              redis.call('ZREM', KEYS[3], token)
              redis.call('HDEL', KEYS[4], token)
            end
            return {1, 0, '', '0', '0'}
          end
          if channel == ARGV[6] then local_token = head end
        end
        if not now then now, sec, usec = clock() end
        local lease = tonumber(ARGV[3])
        if ARGV[4] == '1' then
          take_place(token, ARGV[5], ARGV[2], now, lease, ARGV[6])
        end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 0 then pttl = lease end
        return {0, pttl, local_token, sec, usec}
        """);

    /// <summary>
    /// ARGV: token, channel, keepPlace (1/0), candidate. Leaves the queue (unless keepPlace: a waiter giving
    /// back a minority of keys stays in line) and, when the token holds this master's key, hands it to the
    /// next live waiter (or to candidate, for a bounded local pass) or deletes it. Returns {held,
    /// localToken, serverSeconds, serverMicroseconds}: the server time is when the key stopped being the
    /// caller's, so a hand-off message to the caller dated earlier is void.
    /// </summary>
    public static readonly RedisScript Release = new(HandOver + """

        local token = ARGV[1]
        if redis.call('GET', KEYS[1]) ~= token then
          if ARGV[3] ~= '1' then
            redis.call('ZREM', KEYS[3], token)
            redis.call('HDEL', KEYS[4], token)
          end
          return {0, '', '0', '0'}
        end
        -- A holder of this master's key has no place in its queue to leave (the key came with leaving it),
        -- unless it gives the key back to keep waiting, when its place stays.
        local head, channel, now, sec, usec = hand_over(token, ARGV[2], ARGV[4])
        if (not head) or head == token then redis.call('DEL', KEYS[1]) end
        if not now then now, sec, usec = clock() end
        if head and head ~= token and channel == ARGV[2] then
          return {1, head, sec, usec}
        end
        return {1, '', sec, usec}
        """);
}
