using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

/// <summary>
/// What every contract suite's limit tests share: the TTLs to walk (both ends of a provider's range, the
/// service's bounds that fall inside it, and a seeded random sample in between), the values that overflow
/// careless arithmetic, and the property checked for each TTL: while a hold of that TTL lives, a second
/// client is refused; it may get in only after a release, or after the TTL has passed since the hold was
/// asked for (and then the first holder must already have been told it lost).
/// </summary>
internal static class TtlLimits
{
    /// <summary>The REST service's default TTL bounds (Coord:Limits), which every backend must honour too.</summary>
    public static readonly TimeSpan[] ServiceTtlLimits = [TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)];

    /// <summary>Fixed so a failure can be replayed; the message of every assertion names the TTL.</summary>
    public const int RandomTtlSeed = 20261127;

    public const int RandomTtlCount = 6;

    /// <summary>TTLs that no backend accepts and that break arithmetic done without care (negation, ms conversions, timers).</summary>
    public static readonly TimeSpan[] OverflowProneTtls = [TimeSpan.MaxValue, TimeSpan.MinValue, Timeout.InfiniteTimeSpan, TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(long.MaxValue / TimeSpan.TicksPerMillisecond)];

    /// <summary>Waits that no acquire accepts: below zero (other than the infinite -1 ms) or beyond <see cref="LockOptions.MaximumWait"/>.</summary>
    public static readonly TimeSpan[] OverflowProneWaits = [TimeSpan.MaxValue, TimeSpan.MinValue, Timeout.InfiniteTimeSpan - TimeSpan.FromTicks(1), TimeSpan.FromTicks(-1), LockOptions.MaximumWait + TimeSpan.FromTicks(1)];

    /// <summary>Both ends of the provider's range and the service's bounds that fall inside it.</summary>
    public static IEnumerable<TimeSpan> Ends(TimeSpan minimum, TimeSpan maximum)
        => new[] { minimum, maximum }
            .Concat(ServiceTtlLimits.Where(t => t >= minimum && t <= maximum))
            .Distinct();

    /// <summary>The seeded sample: the same TTLs on every run.</summary>
    public static IEnumerable<TimeSpan> RandomSample(TimeSpan minimum, TimeSpan maximum)
    {
        var random = new Random(RandomTtlSeed);
        for (var i = 0; i < RandomTtlCount; i++)
            yield return RandomTtl(random, minimum, maximum);
    }

    /// <summary>Runs every check at both ends of the range (and the service's bounds inside it).</summary>
    public static async Task AtTheEndsAsync(TimeSpan minimum, TimeSpan maximum, params Func<TimeSpan, Task>[] checks)
    {
        foreach (var ttl in Ends(minimum, maximum))
        {
            foreach (var check in checks)
                await check(ttl);
        }
    }

    /// <summary>Runs the checks in turn over the seeded random sample of the range.</summary>
    public static async Task OverTheRandomSampleAsync(TimeSpan minimum, TimeSpan maximum, params Func<TimeSpan, Task>[] checks)
    {
        var i = 0;
        foreach (var ttl in RandomSample(minimum, maximum))
            await checks[i++ % checks.Length](ttl);
    }

    /// <summary>Log-uniform, so short and long TTLs are drawn about equally often; whole milliseconds, as users write them.</summary>
    public static TimeSpan RandomTtl(Random random, TimeSpan minimum, TimeSpan maximum)
    {
        var log = Math.Log(minimum.TotalMilliseconds) + random.NextDouble() * (Math.Log(maximum.TotalMilliseconds) - Math.Log(minimum.TotalMilliseconds));
        var ms = Math.Clamp(Math.Round(Math.Exp(log)), Math.Ceiling(minimum.TotalMilliseconds), Math.Floor(maximum.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>
    /// Lets <paramref name="tryOther"/> ask once, without waiting. If it got in, that is allowed only once the TTL
    /// has passed since <paramref name="askedTimestamp"/> (the server counts from later than that) and
    /// <paramref name="firstLost"/> says the first holder was told; whatever it got is given back.
    /// </summary>
    public static async Task AssertRefusedUnlessExpiredAsync(Func<Task<IAsyncDisposable?>> tryOther, TimeSpan ttl, long askedTimestamp, Func<bool> firstLost, string what)
    {
        var second = await tryOther();
        if (second is null)
            return;
        var since = Stopwatch.GetElapsedTime(askedTimestamp);
        var lost = firstLost();
        await second.DisposeAsync();
        Assert.True(since >= ttl, $"TTL {ttl}: a second client got {what} {since.TotalMilliseconds:0.#} ms after the first asked for it: two holders");
        Assert.True(lost, $"TTL {ttl}: a second client got {what} while the first holder still vouched for it");
    }

    /// <summary>A refused value must say which parameter and what is allowed, never overflow on the way.</summary>
    public static void AssertSaysWhatIsAllowed(ArgumentOutOfRangeException refused, string parameter)
    {
        Assert.Equal(parameter, refused.ParamName);
        Assert.True(refused.Message.Contains("at least", StringComparison.Ordinal) || refused.Message.Contains("at most", StringComparison.Ordinal) || refused.Message.Contains("zero or more", StringComparison.Ordinal),
            $"the refusal of {parameter} does not say what is allowed: {refused.Message}");
    }
}
