using Coord.Ids.Uuid;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.Uuid;

/// <summary>UUID v7 at the ends of its 48-bit Unix-millisecond timestamp: 1970, the last date a clock can show, and before 1970.</summary>
public sealed class UuidV7LimitsTests
{
    [Fact]
    public void At_the_Unix_epoch_the_timestamp_is_zero_and_ids_still_increase()
    {
        var generator = new UuidV7Generator(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        var ids = new Guid[1000];
        generator.Next(ids);
        Assert.All(ids, id => Assert.Equal(0, UnixMs(id)));
        AssertIncreasing(ids);
        Assert.Equal(7, ids[0].Version);
    }

    [Fact]
    public void At_the_last_millisecond_a_clock_can_show_the_timestamp_is_that_millisecond_and_ids_still_increase()
    {
        var generator = new UuidV7Generator(new FakeTimeProvider(DateTimeOffset.MaxValue));
        var ids = new Guid[1000];
        generator.Next(ids);
        Assert.All(ids, id => Assert.Equal(DateTimeOffset.MaxValue.ToUnixTimeMilliseconds(), UnixMs(id)));
        AssertIncreasing(ids);
    }

    [Fact]
    public void A_clock_before_1970_is_refused_clearly_instead_of_writing_a_timestamp_of_the_year_10889()
    {
        foreach (var before in new[] { DateTimeOffset.UnixEpoch.AddMilliseconds(-1), DateTimeOffset.MinValue })
        {
            var generator = new UuidV7Generator(new FakeTimeProvider(before));
            var error = Assert.Throws<InvalidOperationException>(() => generator.Next());
            Assert.Contains("before 1970-01-01", error.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => generator.Next(new Guid[3]));
        }
    }

    [Fact]
    public void A_clock_that_falls_back_before_1970_after_issuing_keeps_the_last_timestamp()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddMilliseconds(5));
        var generator = new UuidV7Generator(time);
        var first = generator.Next();
        time.AdjustTime(DateTimeOffset.UnixEpoch.AddDays(-1));
        var later = new Guid[100];
        generator.Next(later);
        Assert.All(later, id => Assert.Equal(5, UnixMs(id)));
        AssertIncreasing([first, .. later]);
    }

    private static void AssertIncreasing(IReadOnlyList<Guid> ids)
    {
        for (var i = 1; i < ids.Count; i++)
            Assert.True(ids[i].ToByteArray(bigEndian: true).AsSpan().SequenceCompareTo(ids[i - 1].ToByteArray(bigEndian: true)) > 0, $"uuid #{i} is not above the previous one");
    }

    private static long UnixMs(Guid uuid) => UuidGeneratorTests.UnixMs(uuid);
}
