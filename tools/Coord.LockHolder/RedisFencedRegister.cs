using System.Globalization;
using StackExchange.Redis;

namespace Coord.LockHolder;

/// <summary>
/// A downstream resource on Redis that leaders write to, fenced by term: one script keeps the highest term that wrote
/// (<c>&lt;key&gt;/term</c>) and refuses a write whose term is lower. Used by crash and pause tests.
/// </summary>
public static class RedisFencedRegister
{
    private const string Write = """
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) < last then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;

    /// <summary>Writes <paramref name="payload"/> with <paramref name="term"/>; false when a higher term wrote before (nothing is changed then).</summary>
    public static async Task<bool> WriteAsync(IDatabase db, string key, long term, string payload)
        => (long)await db.ScriptEvaluateAsync(Write, [key + "/term", key + "/data"], [term, payload]) == 1;

    /// <summary>What the register holds: the highest term that wrote and its payload, or nulls before any write.</summary>
    public static async Task<(long? Term, string? Payload)> ReadAsync(IDatabase db, string key)
    {
        var term = await db.StringGetAsync(key + "/term");
        var data = await db.StringGetAsync(key + "/data");
        return (term.IsNull ? null : long.Parse((string)term!, CultureInfo.InvariantCulture), data.IsNull ? null : (string?)data);
    }
}
