namespace Coord.Locks.Redis;

/// <summary>
/// The Lua scripts an election adds to the holds' own (<see cref="RedisSemaphoreScripts"/>), which elect the leader:
/// these only keep the candidates' values beside them and read the leader. KEYS are always [holders, grants, counter,
/// queue, values] (<see cref="RedisElectionKeys"/>). A holder counts as leader only while its lease runs by the
/// server's clock, exactly as the holds' scripts see it.
/// </summary>
internal static class RedisElectionScripts
{
    private const string Leads = """
        local function leads(token)
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local expires = redis.call('ZSCORE', KEYS[1], token)
          return expires and tonumber(expires) > now
        end
        """;

    // Before a campaign: the candidate's value, so it is there the moment a hand-off elects it. Values of tokens that
    // neither hold nor wait any more (candidates that died or gave up) go on the way; a candidate's own value is written
    // again once it is elected (Announce), in case this pruned it before it joined the line.
    public static readonly RedisScript Nominate = new("""
        local tokens = redis.call('HKEYS', KEYS[5])
        for _, token in ipairs(tokens) do
          if token ~= ARGV[1] and not redis.call('ZSCORE', KEYS[1], token) and not redis.call('ZSCORE', KEYS[4], token) then
            redis.call('HDEL', KEYS[5], token)
          end
        end
        redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
        return 1
        """);

    // Sets the leader's value (on election, or a proclamation) only while ARGV[1] still leads, and tells the observers.
    // Returns 1 when it leads, 0 (changing nothing) when not.
    public static readonly RedisScript Announce = new(Leads + """

        if not leads(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
        redis.call('PUBLISH', ARGV[3], 'leader')
        return 1
        """);

    // After a resignation or a withdrawn candidacy: its value goes, and the observers look again.
    public static readonly RedisScript Forget = new("""
        redis.call('HDEL', KEYS[5], ARGV[1])
        redis.call('PUBLISH', ARGV[2], 'leader')
        return 1
        """);

    // The leader now: { value, term }, or nil when nobody's lease runs (or the leader has not announced its value yet).
    public static readonly RedisScript Leader = new(Leads + """

        local first = redis.call('ZRANGE', KEYS[1], 0, 0)
        if not first[1] or not leads(first[1]) then return nil end
        local value = redis.call('HGET', KEYS[5], first[1])
        local term = redis.call('HGET', KEYS[2], first[1])
        if not value or not term then return nil end
        return { value, tonumber(term) }
        """);
}
