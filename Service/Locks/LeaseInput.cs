using System.Text.RegularExpressions;
using Coord.Service.Hosting;

namespace Coord.Service.Locks;

/// <summary>What every lease route (locks and semaphore permits) reads from a request, checked against the service's limits.</summary>
internal static partial class LeaseInput
{
    /// <summary>What a renewal's reported expiry leaves for clock drift between this service and the backend.</summary>
    internal static TimeSpan RenewalMargin(TimeSpan ttl) => TimeSpan.FromTicks(ttl.Ticks / 100) + TimeSpan.FromMilliseconds(2);

    internal static string HolderToken(HttpContext http)
    {
        var values = http.Request.Headers[LockRoute.HolderTokenHeader];
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
            throw new ArgumentException($"The {LockRoute.HolderTokenHeader} header is required: the holderToken returned when the lock was acquired.");
        if (values.Count > 1)
            throw new ArgumentException($"Send the {LockRoute.HolderTokenHeader} header once; it was sent {values.Count} times.");
        var token = values[0]!;
        if (!HolderTokenFormat().IsMatch(token))
            throw new ArgumentException($"The {LockRoute.HolderTokenHeader} header must be the holderToken returned by acquire: 32 lowercase hexadecimal characters.");
        return token;
    }

    internal static TimeSpan Ttl(long? ttlMs, ServiceLimits limits)
    {
        if (ttlMs is not { } ms)
            return limits.DefaultTtl;
        var min = (long)limits.MinTtl.TotalMilliseconds;
        var max = (long)limits.MaxTtl.TotalMilliseconds;
        if (ms < min || ms > max)
            throw new ArgumentException($"ttlMs must be between {min} and {max} milliseconds; it was {ms}.");
        return TimeSpan.FromMilliseconds(ms);
    }

    internal static TimeSpan Wait(long? waitMs, ServiceLimits limits)
    {
        if (waitMs is not { } ms)
            return TimeSpan.Zero;
        var max = (long)limits.MaxWait.TotalMilliseconds;
        if (ms < 0 || ms > max)
            throw new ArgumentException($"waitMs must be between 0 and {max} milliseconds; it was {ms}.");
        return TimeSpan.FromMilliseconds(ms);
    }

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex HolderTokenFormat();
}
