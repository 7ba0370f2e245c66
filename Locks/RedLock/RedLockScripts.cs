using Coord.Locks.Redis;

namespace Coord.Locks.RedLock;

/// <summary>
/// The per-master scripts of <see cref="RedLockLock"/>: the single-server queue without the fence
/// counter, and without handing over the key itself, because a release on one master cannot know what
/// the others decide. Instead a release <em>claims</em> the master's key for the first live waiter
/// (value <c>"@token"</c>, with that waiter's TTL) and wakes only that waiter's provider; the waiter
/// then votes on every master, turning each claim into its key, while nobody else can take it meanwhile.
/// KEYS are [lock, fence, queue, waiters] as in <see cref="RedisLockKeys"/>; the fence key is unused.
/// </summary>
internal static class RedLockScripts
{
    // Claims the free key for the first live waiter and wakes it: a message to its provider's channel,
    // or none when that is the caller's provider (the caller wakes it in process). Waiters whose place
    // lease ran out or whose channel has no subscriber left (their process died) are dropped on the way.
    // Returns the waiter and its channel; the caller's own token when it is first; nil when nobody waits.
    private const string WakeHead = RedisLockScripts.Queue + """

        local function wake_head(now, self, local_channel)
          while true do
            local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
            if not head or head == self then return head, nil end
            local info = redis.call('HGET', KEYS[4], head)
            if info then
              local ttl, expires, channel = entry(info)
              if expires > now and (channel == local_channel or redis.call('PUBLISH', channel, head) > 0) then
                redis.call('SET', KEYS[1], '@' .. head, 'PX', ttl)
                return head, channel
              end
            end
            redis.call('ZREM', KEYS[3], head)
            redis.call('HDEL', KEYS[4], head)
          end
        end
        """;

    /// <summary>
    /// ARGV: token, ttlMs, placeLeaseMs, queue (1/0), ticket, channel. Returns {1, 0, ''} when the token
    /// holds this master's key (taken now, claimed for it, or renewed), else {0, msUntilWorthRetrying,
    /// localToken}, localToken naming a waiter of the caller's provider that this call woke ('' when none).
    /// The ticket orders the queue; the client gives every master the same one, so all masters agree on
    /// who is first.
    /// </summary>
    public const string Acquire = WakeHead + """

        local token = ARGV[1]
        local holder = redis.call('GET', KEYS[1])
        if holder == token then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return {1, 0, ''}
        end
        if holder == '@' .. token then
          redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
          return {1, 0, ''}
        end
        local now = clock()
        local local_token = ''
        if not holder then
          local head, channel = wake_head(now, token, ARGV[6])
          if (not head) or head == token then
            redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
            if head then
              redis.call('ZREM', KEYS[3], token)
              redis.call('HDEL', KEYS[4], token)
            end
            return {1, 0, ''}
          end
          if channel == ARGV[6] then local_token = head end
        end
        local lease = tonumber(ARGV[3])
        if ARGV[4] == '1' then
          take_place(token, ARGV[5], ARGV[2], now, lease, ARGV[6])
        end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 0 then pttl = lease end
        return {0, pttl, local_token}
        """;

    /// <summary>
    /// ARGV: token, channel, keepPlace (1/0). Leaves the queue (unless keepPlace: a waiter giving back a
    /// minority of votes stays in line) and, when the token holds or has a claim on this master's key,
    /// deletes it and claims it for the next live waiter. Returns {held, localToken}.
    /// </summary>
    public const string Release = WakeHead + """

        local token = ARGV[1]
        if ARGV[3] ~= '1' then
          redis.call('ZREM', KEYS[3], token)
          redis.call('HDEL', KEYS[4], token)
        end
        local holder = redis.call('GET', KEYS[1])
        if holder ~= token and holder ~= '@' .. token then
          return {0, ''}
        end
        redis.call('DEL', KEYS[1])
        local head, channel = wake_head(clock(), token, ARGV[2])
        if head and head ~= token and channel == ARGV[2] then
          return {1, head}
        end
        return {1, ''}
        """;
}
