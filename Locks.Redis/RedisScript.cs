using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// A Lua script run by its SHA1 (<c>EVALSHA</c>), loaded again by its text only when the server does not
/// know it (first use, a restart, <c>SCRIPT FLUSH</c>). Naming the script by a digest computed once spares
/// the client library from hashing the whole script text on every call to look its digest up.
/// </summary>
internal sealed class RedisScript
{
    private readonly byte[] _sha1;

    public RedisScript(string text)
    {
        Text = text;
#pragma warning disable CA5350 // Redis names scripts by their SHA1; this is an identifier, not a protection.
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    public string Text { get; }

    public Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] args)
    {
        var call = db.ScriptEvaluateAsync(_sha1, keys, args);
        return call.IsCompletedSuccessfully ? call : LoadIfMissingAsync(call, db, keys, args);
    }

    private async Task<RedisResult> LoadIfMissingAsync(Task<RedisResult> call, IDatabaseAsync db, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The text overload loads the script (and runs it) in the same call.
            return await db.ScriptEvaluateAsync(Text, keys, args).ConfigureAwait(false);
        }
    }

    public override string ToString() => Text;
}
