using Coord.Service.Hosting;

namespace Coord.Service.Tests.Hosting;

/// <summary><c>Coord:Limits</c> at the ends of every range and one step past each: start-up accepts or refuses it naming the setting.</summary>
public sealed class ServiceLimitsTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    public static TheoryData<string, Action<ServiceLimits>> Accepted => new()
    {
        { "MinTtl 100 ms", l => l.MinTtl = TimeSpan.FromMilliseconds(100) },
        { "MinTtl = MaxTtl = DefaultTtl", l => (l.MinTtl, l.MaxTtl, l.DefaultTtl) = (TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15)) },
        { "MaxTtl 1 day", l => l.MaxTtl = TimeSpan.FromDays(1) },
        { "DefaultTtl = MinTtl", l => l.DefaultTtl = l.MinTtl },
        { "DefaultTtl = MaxTtl", l => l.DefaultTtl = l.MaxTtl },
        { "MaxWait 0", l => l.MaxWait = TimeSpan.Zero },
        { "MaxWait 10 min", l => l.MaxWait = TimeSpan.FromMinutes(10) },
        { "MaxCount 1", l => l.MaxCount = 1 },
        { "MaxCount 1,000,000", l => l.MaxCount = 1_000_000 },
        { "MaxRequestBodyBytes 256", l => l.MaxRequestBodyBytes = 256 },
        { "MaxRequestBodyBytes 16 MiB", l => l.MaxRequestBodyBytes = 16 * 1024 * 1024 },
        { "ReadinessTimeout 1 tick", l => l.ReadinessTimeout = Tick },
        { "ReadinessTimeout 30 s", l => l.ReadinessTimeout = TimeSpan.FromSeconds(30) },
    };

    public static TheoryData<string, Action<ServiceLimits>, string> Refused => new()
    {
        { "MinTtl 100 ms - 1 tick", l => l.MinTtl = TimeSpan.FromMilliseconds(100) - Tick, "MinTtl must be at least 100 ms" },
        { "MinTtl above MaxTtl", l => l.MinTtl = l.MaxTtl + Tick, "MinTtl must be at least 100 ms and at most MaxTtl" },
        { "MinTtl MinValue", l => l.MinTtl = TimeSpan.MinValue, "MinTtl" },
        { "MaxTtl 1 day + 1 tick", l => (l.MaxTtl, l.DefaultTtl) = (TimeSpan.FromDays(1) + Tick, TimeSpan.FromSeconds(15)), "MaxTtl must be at most 1 day" },
        { "MaxTtl MaxValue", l => l.MaxTtl = TimeSpan.MaxValue, "MaxTtl must be at most 1 day" },
        { "DefaultTtl below MinTtl", l => l.DefaultTtl = l.MinTtl - Tick, "DefaultTtl must lie between" },
        { "DefaultTtl above MaxTtl", l => l.DefaultTtl = l.MaxTtl + Tick, "DefaultTtl must lie between" },
        { "MaxWait -1 tick", l => l.MaxWait = -Tick, "MaxWait must be between 0 and 10 minutes" },
        { "MaxWait 10 min + 1 tick", l => l.MaxWait = TimeSpan.FromMinutes(10) + Tick, "MaxWait must be between 0 and 10 minutes" },
        { "MaxWait infinite", l => l.MaxWait = Timeout.InfiniteTimeSpan, "MaxWait must be between 0 and 10 minutes" },
        { "MaxCount 0", l => l.MaxCount = 0, "MaxCount must be between 1 and 1,000,000" },
        { "MaxCount 1,000,001", l => l.MaxCount = 1_000_001, "MaxCount must be between 1 and 1,000,000" },
        { "MaxCount int.MinValue", l => l.MaxCount = int.MinValue, "MaxCount must be between 1 and 1,000,000" },
        { "MaxRequestBodyBytes 255", l => l.MaxRequestBodyBytes = 255, "MaxRequestBodyBytes must be between 256 bytes and 16 MiB" },
        { "MaxRequestBodyBytes 16 MiB + 1", l => l.MaxRequestBodyBytes = 16 * 1024 * 1024 + 1, "MaxRequestBodyBytes must be between 256 bytes and 16 MiB" },
        { "MaxRequestBodyBytes long.MaxValue", l => l.MaxRequestBodyBytes = long.MaxValue, "MaxRequestBodyBytes must be between 256 bytes and 16 MiB" },
        { "ReadinessTimeout 0", l => l.ReadinessTimeout = TimeSpan.Zero, "ReadinessTimeout must be more than 0 and at most 30 s" },
        { "ReadinessTimeout 30 s + 1 tick", l => l.ReadinessTimeout = TimeSpan.FromSeconds(30) + Tick, "ReadinessTimeout must be more than 0 and at most 30 s" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Each_end_of_each_range_is_accepted(string edge, Action<ServiceLimits> set)
    {
        var limits = new ServiceLimits();
        set(limits);
        var refused = Record.Exception(limits.Validate);
        Assert.True(refused is null, $"{edge}: {refused?.Message}");
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void One_past_each_end_is_refused_naming_the_setting_and_what_is_allowed(string edge, Action<ServiceLimits> set, string expected)
    {
        var limits = new ServiceLimits();
        set(limits);
        var error = Assert.Throws<ArgumentException>(limits.Validate);
        Assert.Contains(ServiceLimits.SectionName + ":", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{edge}: {error.Message}");
    }
}
