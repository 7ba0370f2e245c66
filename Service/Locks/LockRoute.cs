using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Coord.Service.Locks;

/// <summary>
/// Where lock names come from: everything after <c>/v1/locks/</c> in the request target, percent-decoded
/// exactly once. Names may contain '/', given raw (<c>/v1/locks/orders/42</c>) or as <c>%2F</c> — both
/// name the same lock — and any other character percent-encoded. Reading the raw target (not the
/// routing value, which Kestrel has already decoded except for <c>%2F</c>) keeps <c>%252F</c> meaning
/// the three characters <c>%2F</c> rather than a slash.
/// </summary>
public static class LockRoute
{
    public const string Prefix = "/v1/locks/";

    /// <summary>The route pattern: a catch-all, because names may contain '/'.</summary>
    public const string Pattern = Prefix + "{**name}";

    /// <summary>Name of the header that carries the holder token on renew and release.</summary>
    public const string HolderTokenHeader = "Coord-Holder-Token";

    public static string LockName(HttpContext http) => NameAfter(http, Prefix, "lock");

    /// <summary>The name after <paramref name="prefix"/> in the request target, decoded as a lock name is; <paramref name="kind"/> names it in errors.</summary>
    public static string NameAfter(HttpContext http, string prefix, string kind)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
            raw = http.Request.PathBase.Add(http.Request.Path).ToUriComponent();
        var query = raw.AsSpan().IndexOfAny('?', '#');
        if (query >= 0)
            raw = raw[..query];
        // Absolute-form targets (sent to proxies) carry scheme and authority in front of the path.
        var start = raw.IndexOf(prefix, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
            throw new ArgumentException($"A {kind} URL is {prefix}<name>.");
        var encoded = raw[(start + prefix.Length)..];
        if (encoded.Length == 0)
            throw new ArgumentException($"A {kind} name is required after {prefix}: 1 to 256 characters ('/' allowed, other reserved characters percent-encoded).");
        return Decode(encoded, kind);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Percent-decoding that refuses what <see cref="Uri.UnescapeDataString"/> would keep as literal text
    /// (a stray '%', escapes that are not UTF-8): kept literally, <c>%FF</c> and <c>%25FF</c> would name one lock.
    /// </summary>
    private static string Decode(string encoded, string kind)
    {
        if (!encoded.Contains('%', StringComparison.Ordinal))
            return encoded;
        var bytes = new byte[StrictUtf8.GetMaxByteCount(encoded.Length)];
        var count = 0;
        for (var i = 0; i < encoded.Length;)
        {
            if (encoded[i] == '%')
            {
                if (encoded.Length - i < 3 || !byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                    throw new ArgumentException($"A {kind} name's '%' must start an escape of two hexadecimal digits (write '%' itself as %25); the URL has '{encoded[i..Math.Min(encoded.Length, i + 3)]}'.");
                bytes[count++] = value;
                i += 3;
                continue;
            }
            var run = encoded.IndexOf('%', i);
            if (run < 0)
                run = encoded.Length;
            count += StrictUtf8.GetBytes(encoded.AsSpan(i, run - i), bytes.AsSpan(count));
            i = run;
        }
        try
        {
            return StrictUtf8.GetString(bytes, 0, count);
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException($"A {kind} name's percent-encoded bytes must be UTF-8 text (for example %C3%A9 for 'é'); these are not, so they name no lock.");
        }
    }
}
