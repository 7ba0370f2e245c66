using Coord.Ids.Snowflake;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.Snowflake;

/// <summary>Every range a Snowflake generator accepts, at its ends and one step past each.</summary>
public sealed class SnowflakeLimitsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(62, 0, 1, 0)]   // widest timestamp, narrowest everything else
    [InlineData(31, 20, 12, 0)] // narrowest timestamp, widest worker
    [InlineData(31, 10, 22, 0)] // widest sequence
    [InlineData(41, 2, 12, 8)]  // widest rollback counter
    public void Layouts_at_the_ends_of_every_width_are_accepted_and_round_trip_their_largest_fields(int timestampBits, int workerBits, int sequenceBits, int rollbackBits)
    {
        var layout = new SnowflakeLayout(timestampBits, workerBits, sequenceBits, rollbackBits);
        var time = new FakeTimeProvider(Start);
        // An epoch a day back: 31 timestamp bits last only about 24 days.
        var generator = new SnowflakeGenerator(new SnowflakeOptions { Layout = layout, WorkerId = layout.MaxWorkerId, Epoch = Start.AddDays(-1) }, time);
        var parts = generator.Decode(generator.Next());
        Assert.Equal(Start, parts.Timestamp);
        Assert.Equal(layout.MaxWorkerId, parts.WorkerId);
        Assert.Equal(0, parts.Sequence);

        // The largest id a layout can hold whose timestamp is still a date decodes to every field's maximum.
        var largest = layout.Compose(Math.Min(layout.MaxTimestamp, 1L << 40), layout.RollbackCounterValues - 1, layout.MaxWorkerId, layout.MaxSequence);
        var top = generator.Decode(largest);
        Assert.Equal((layout.RollbackCounterValues - 1, layout.MaxWorkerId, layout.MaxSequence), (top.RollbackCounter, top.WorkerId, top.Sequence));
    }

    [Theory]
    [InlineData(63, 0, 0, 0, "Timestamp bits")]
    [InlineData(30, 20, 12, 1, "Timestamp bits")]
    [InlineData(int.MaxValue, 0, 1, 0, "Timestamp bits")]
    [InlineData(41, -1, 14, 9, "Worker bits")]
    [InlineData(41, 10, 0, 12, "Sequence bits")]
    [InlineData(31, 9, 23, 0, "Sequence bits")]
    [InlineData(41, 10, 13, -1, "Rollback bits")]
    [InlineData(41, 1, 12, 9, "Rollback bits")]
    [InlineData(int.MinValue, int.MaxValue, 1, 0, "Timestamp bits")]
    public void Widths_one_past_either_end_are_refused_naming_the_field(int timestampBits, int workerBits, int sequenceBits, int rollbackBits, string named)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new SnowflakeLayout(timestampBits, workerBits, sequenceBits, rollbackBits));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("between", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(0, 1, false)]
    [InlineData(0, -1, false)]
    [InlineData(20, 1_048_575, true)]
    [InlineData(20, 1_048_576, false)]
    [InlineData(10, int.MaxValue, false)]
    [InlineData(10, int.MinValue, false)]
    public void Worker_ids_are_accepted_from_0_to_the_layouts_largest(int workerBits, int workerId, bool accepted)
    {
        var layout = new SnowflakeLayout(41, workerBits, 22 - workerBits);
        var options = new SnowflakeOptions { Layout = layout, WorkerId = workerId };
        if (accepted)
        {
            var generator = new SnowflakeGenerator(options, new FakeTimeProvider(Start));
            Assert.Equal(workerId, generator.Decode(generator.Next()).WorkerId);
            return;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeGenerator(options, new FakeTimeProvider(Start)));
        Assert.Contains($"between 0 and {layout.MaxWorkerId}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_epoch_may_be_1970_or_later_and_no_later_than_now()
    {
        var time = new FakeTimeProvider(Start);
        var unix = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1, Epoch = DateTimeOffset.UnixEpoch }, time);
        Assert.Equal(Start, unix.Decode(unix.Next()).Timestamp);
        var now = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1, Epoch = Start }, time);
        Assert.Equal(0, now.Decode(now.Next()).TimestampMs);

        foreach (var before1970 in new[] { DateTimeOffset.UnixEpoch.AddMilliseconds(-1), DateTimeOffset.MinValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeOptions { WorkerId = 1, Epoch = before1970 }.Validate());
            Assert.Contains("1970-01-01", error.Message, StringComparison.Ordinal);
        }
        foreach (var future in new[] { Start.AddMilliseconds(1), DateTimeOffset.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeOptions { WorkerId = 1, Epoch = future }.ValidateAt(Start));
            Assert.Contains("in the future", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_timestamp_field_is_used_to_its_last_millisecond_and_one_more_is_refused_naming_the_layout()
    {
        var layout = new SnowflakeLayout(31, 10, 22);
        var options = new SnowflakeOptions { Layout = layout, WorkerId = 3, Epoch = Start.AddMilliseconds(-layout.MaxTimestamp) };
        options.ValidateAt(Start);
        var time = new FakeTimeProvider(Start);
        var generator = new SnowflakeGenerator(options, time);
        Assert.Equal(layout.MaxTimestamp, generator.Decode(generator.Next()).TimestampMs);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var error = Assert.Throws<InvalidOperationException>(() => generator.Next());
        Assert.Contains("31 timestamp bits", error.Message, StringComparison.Ordinal);
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => options.ValidateAt(Start.AddMilliseconds(1)));
        Assert.Contains("ran out", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rollback_and_startup_waits_are_accepted_from_0_to_their_maximum()
    {
        foreach (var wait in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(1) })
            new SnowflakeOptions { WorkerId = 1, MaxRollbackWait = wait }.Validate();
        foreach (var wait in new[] { TimeSpan.FromTicks(-1), TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1), TimeSpan.MaxValue, TimeSpan.MinValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeOptions { WorkerId = 1, MaxRollbackWait = wait }.Validate());
            Assert.Contains("between 0 and 1 s", error.Message, StringComparison.Ordinal);
        }
        foreach (var wait in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(1) })
            new SnowflakeOptions { WorkerId = 1, MaxStartupClockWait = wait }.Validate();
        foreach (var wait in new[] { TimeSpan.FromTicks(-1), TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(1), TimeSpan.MaxValue, TimeSpan.MinValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeOptions { WorkerId = 1, MaxStartupClockWait = wait }.Validate());
            Assert.Contains("between 0 and 1 min", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_rollback_of_one_ms_past_the_tolerance_throws_at_once_and_one_within_it_is_waited_out()
    {
        var time = new FakeTimeProvider(Start);
        var strict = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1, MaxRollbackWait = TimeSpan.Zero }, time);
        strict.Next();
        time.AdjustTime(Start.AddMilliseconds(-1));
        Assert.Equal(TimeSpan.FromMilliseconds(1), Assert.Throws<ClockMovedBackwardsException>(() => strict.Next()).Drift);

        time.AdjustTime(Start);
        var tolerant = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 2, MaxRollbackWait = TimeSpan.FromMilliseconds(5) }, time);
        tolerant.Next();
        time.AdjustTime(Start.AddMilliseconds(-6));
        Assert.Equal(TimeSpan.FromMilliseconds(6), Assert.Throws<ClockMovedBackwardsException>(() => tolerant.Next()).Drift);
    }

    [Fact]
    public async Task A_rollback_of_exactly_the_tolerance_is_waited_out_not_refused()
    {
        var time = new FakeTimeProvider(Start);
        var generator = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 2, MaxRollbackWait = TimeSpan.FromMilliseconds(5) }, time);
        var before = generator.Next();
        time.AdjustTime(Start.AddMilliseconds(-5));
        var next = Task.Run(generator.Next);
        time.Advance(TimeSpan.FromMilliseconds(5));
        var id = await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(id > before);
        Assert.Equal(0, generator.Decode(id).RollbackCounter);
    }

    [Fact]
    public void Decode_takes_0_to_long_MaxValue_and_a_timestamp_past_the_year_9999_is_refused_clearly()
    {
        var time = new FakeTimeProvider(Start);
        var generator = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1 }, time);
        Assert.Equal(SnowflakeOptions.DefaultEpoch, generator.Decode(0).Timestamp);
        var top = generator.Decode(long.MaxValue);
        Assert.Equal((SnowflakeLayout.Default.MaxTimestamp, 1023, 4095), (top.TimestampMs, top.WorkerId, top.Sequence));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Decode(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Decode(long.MinValue));

        // 62 timestamp bits reach far past the last date there is; such an id cannot have been issued.
        var wide = new SnowflakeGenerator(new SnowflakeOptions { Layout = new SnowflakeLayout(62, 0, 1), WorkerId = 0 }, time);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => wide.Decode(long.MaxValue));
        Assert.Equal("id", error.ParamName);
        Assert.Contains("past the year 9999", error.Message, StringComparison.Ordinal);
        var lastDate = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() - SnowflakeOptions.DefaultEpoch.ToUnixTimeMilliseconds();
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()), wide.Decode(lastDate << 1).Timestamp);
        Assert.Throws<ArgumentOutOfRangeException>(() => wide.Decode((lastDate + 1) << 1));
    }
}
