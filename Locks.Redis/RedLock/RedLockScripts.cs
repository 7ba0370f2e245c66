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
    // Hands the free key to the first live waiter and tells it: a message to its provider's channel, or
    // none when that is the caller's provider (the caller delivers it in process). Waiters whose place
    // lease ran out or whose channel has no subscriber left (their process died) are dropped on the way.
    // Returns the new holder and its channel; the caller's own token when it is first (its place is kept
    // for the caller to settle); nil when nobody waits. The server time is read only once someone waits.
    private const string HandOver = RedisLockScripts.Queue + """

        local function hand_over(self, local_channel)
          local now, sec, usec
          while true do
            local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
            if not head or head == self then return head, nil, now, sec, usec end
            if not now then now, sec, usec = clock() end
            local info = redis.call('HGET', KEYS[4], head)
            redis.call('ZREM', KEYS[3], head)
            redis.call('HDEL', KEYS[4], head)
            if info then
              local ttl, expires, channel = entry(info)
              if expires > now and (channel == local_channel or redis.call('PUBLISH', channel, head .. ':' .. sec .. ':' .. usec) > 0) then
                redis.call('SET', KEYS[1], head, 'PX', ttl)
                return head, channel, now, sec, usec
              end
            end
          end
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), ticket, channel. Returns {1, 0, '', '0', '0'} when
    /// the token holds this master's key (taken now, handed to it earlier: then its lease restarts now, or
    /// renewed), else {0, msUntilWorthRetrying, localToken, serverSeconds, serverMicroseconds}, localToken
    /// naming a waiter of the caller's provider that this call handed the key to ('' when none). The
    /// ticket orders the queue; the client gives every master the same one, so all masters agree on who
    /// is first.
    /// </summary>
    public const string Acquire = HandOver + """

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
          head, channel, now, sec, usec = hand_over(token, ARGV[6])
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
        """;

    /// <summary>
    /// ARGV: token, channel, keepPlace (1/0). Leaves the queue (unless keepPlace: a waiter giving back a
    /// minority of keys stays in line) and, when the token holds this master's key, hands it to the next
    /// live waiter (or deletes it). Returns {held, localToken, serverSeconds, serverMicroseconds}: the
    /// server time is when the key stopped being the caller's, so a hand-off message to the caller
    /// dated earlier is void.
    /// </summary>
    public const string Release = HandOver + """

        local token = ARGV[1]
        if ARGV[3] ~= '1' then
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
        end
        if redis.call('GET', KEYS[1]) ~= token then
          return {0, '', '0', '0'}
        end
        redis.call('DEL', KEYS[1])
        local head, channel, now, sec, usec = hand_over(token, ARGV[2])
        if not now then now, sec, usec = clock() end
        if head and head ~= token and channel == ARGV[2] then
          return {1, head, sec, usec}
        end
        return {1, '', sec, usec}
        """;
}
