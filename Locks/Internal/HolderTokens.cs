using System.Security.Cryptography;

namespace Coord.Locks.Internal;

/// <summary>
/// Holder tokens: 128 random bits from the system's cryptographic generator, as lowercase hex. Only the holder
/// knows its token (it is what renew and release prove), so it must stay unguessable; but one generator call per
/// acquire costs a system call inside OpenSSL on every hold, which shows on the hot path of a fast backend. The
/// bytes are therefore drawn a batch at a time per thread, and each token's bytes are wiped once handed out.
/// </summary>
internal static class HolderTokens
{
    private const int TokenBytes = 16;
    private const int TokensPerDraw = 32;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new token: 32 lowercase hex digits.</summary>
    public static string New()
    {
        var random = t_random ??= new byte[TokenBytes * TokensPerDraw];
        if (t_next == 0)
            RandomNumberGenerator.Fill(random);
        var bytes = random.AsSpan(t_next, TokenBytes);
        var token = Convert.ToHexStringLower(bytes);
        bytes.Clear();
        t_next = (t_next + TokenBytes) % random.Length;
        return token;
    }
}
