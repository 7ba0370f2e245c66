using Coord.Ids.Snowflake;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.Snowflake;

public sealed class SnowflakeGeneratorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    // Long enough that a generator which does not block would have returned; the test then proves
    // the id it returns after the clock moves is the right one.
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(200);

    private static SnowflakeGenerator Create(FakeTimeProvider time, SnowflakeLayout? layout = null, int workerId = 7)
        => new(new SnowflakeOptions { Layout = layout ?? SnowflakeLayout.Default, WorkerId = workerId }, time);

    [Fact]
    public async Task Sequence_overflow_waits_for_the_next_millisecond()
    {
        var time = new FakeTimeProvider(Start);
        var generator = Create(time);
        var ids = new long[4096];
        generator.Next(ids);
        Assert.All(ids, id => Assert.Equal(Start, generator.Decode(id).Timestamp));
        Assert.Equal(Enumerable.Range(0, 4096), ids.Select(id => generator.Decode(id).Sequence));

        var next = Task.Run(generator.Next);
        await Task.Delay(Blocked);
        Assert.False(next.IsCompleted, "the 4,097th id of a millisecond must wait for the next millisecond");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var id = await next.WaitAsync(TimeSpan.FromSeconds(10));
        var parts = generator.Decode(id);
        Assert.Equal(Start.AddMilliseconds(1), parts.Timestamp);
        Assert.Equal(0, parts.Sequence);
        Assert.True(id > ids[^1]);
    }

    [Fact]
    public async Task A_3_ms_rollback_is_waited_out()
    {
        var time = new FakeTimeProvider(Start);
        var generator = Create(time);
        var before = generator.Next();
        time.AdjustTime(Start.AddMilliseconds(-3));

        var next = Task.Run(generator.Next);
        await Task.Delay(Blocked);
        Assert.False(next.IsCompleted, "an id issued during a 3 ms rollback must wait for the clock to catch up");
        time.Advance(TimeSpan.FromMilliseconds(2));
        await Task.Delay(Blocked);
        Assert.False(next.IsCompleted, "the clock is still 1 ms behind the last id");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var id = await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(id > before);
        Assert.Equal(Start, generator.Decode(id).Timestamp);
        Assert.Equal(0, generator.Decode(id).RollbackCounter);
    }

    [Fact]
    public void One_second_rollbacks_with_2_rollback_bits_issue_distinct_ids_until_the_fourth_throws()
    {
        var time = new FakeTimeProvider(Start);
        var layout = SnowflakeLayout.Default.WithRollbackBits(2, SnowflakeField.Worker);
        var generator = Create(time, layout);
        var issued = new HashSet<long>();
        for (var rollback = 0; rollback <= 3; rollback++)
        {
            time.AdjustTime(Start.AddSeconds(-rollback));
            for (var i = 0; i < 5000; i++) // over a millisecond's worth, so sequences wrap too
            {
                var id = generator.Next();
                Assert.True(issued.Add(id), $"duplicate id {id} after rollback {rollback}");
                Assert.Equal(rollback, generator.Decode(id).RollbackCounter);
                if (i == 4095)
                    time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        time.AdjustTime(Start.AddSeconds(-4));
        var error = Assert.Throws<ClockMovedBackwardsException>(() => generator.Next());
        Assert.Equal(TimeSpan.FromMilliseconds(1001), error.Drift); // behind the last id, issued at -3 s + 1 ms
        Assert.Contains("1001 ms", error.Message);
        Assert.Contains("all 4 rollback counter values", error.Message);
    }

    [Fact]
    public void Without_rollback_bits_a_large_rollback_throws_naming_the_drift()
    {
        var time = new FakeTimeProvider(Start);
        var generator = Create(time);
        generator.Next();
        time.AdjustTime(Start.AddMilliseconds(-1234));
        var error = Assert.Throws<ClockMovedBackwardsException>(() => generator.Next());
        Assert.Equal(TimeSpan.FromMilliseconds(1234), error.Drift);
        Assert.Contains("moved backwards by 1234 ms", error.Message);
        Assert.Contains("no rollback bits", error.Message);

        // Once the clock is back, ids flow again, above the last one.
        time.AdjustTime(Start.AddMilliseconds(1));
        Assert.Equal(Start.AddMilliseconds(1), generator.Decode(generator.Next()).Timestamp);
    }

    [Fact]
    public void Ten_million_ids_from_one_generator_strictly_increase()
    {
        // Every clock read moves time by 200 ns: about 5,000 reads per millisecond, so the 4,096-id
        // sequence runs out in every millisecond and the overflow path is exercised ~2,400 times.
        var generator = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1023 }, new SteppingClock(Start, TimeSpan.FromTicks(2)));
        var batch = new long[100_000];
        var previous = -1L;
        for (var round = 0; round < 100; round++)
        {
            generator.Next(batch);
            foreach (var id in batch)
            {
                if (id <= previous)
                    Assert.Fail($"id {id} is not above {previous} (round {round})");
                previous = id;
            }
        }
        // Strictly increasing, so all 10,000,000 are distinct.
        Assert.True(generator.Decode(previous).Timestamp > Start.AddSeconds(2), "10 M ids need at least 2,442 ms at 4,096 per ms");
    }

    [Theory]
    [InlineData(41, 10, 12, 0, 1023, 0)]
    [InlineData(41, 8, 12, 2, 255, 3)]
    [InlineData(39, 12, 10, 2, 4095, 1)]
    [InlineData(41, 10, 9, 3, 512, 5)]
    public void Decode_round_trips(int timestampBits, int workerBits, int sequenceBits, int rollbackBits, int workerId, int rollbacks)
    {
        var layout = new SnowflakeLayout(timestampBits, workerBits, sequenceBits, rollbackBits);
        var epoch = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(Start);
        var generator = new SnowflakeGenerator(new SnowflakeOptions { Layout = layout, Epoch = epoch, WorkerId = workerId }, time);
        for (var i = 1; i <= rollbacks; i++)
        {
            generator.Next();
            time.AdjustTime(Start.AddSeconds(-i));
        }
        var now = time.GetUtcNow();
        generator.Next();
        var id = generator.Next();

        var parts = generator.Decode(id);
        Assert.Equal(id, parts.Id);
        Assert.Equal(now, parts.Timestamp);
        Assert.Equal((long)(now - epoch).TotalMilliseconds, parts.TimestampMs);
        Assert.Equal(workerId, parts.WorkerId);
        Assert.Equal(rollbacks, parts.RollbackCounter);
        Assert.Equal(1, parts.Sequence);
        Assert.Equal(id, layout.Compose(parts.TimestampMs, parts.RollbackCounter, parts.WorkerId, parts.Sequence));
    }

    [Fact]
    public void Decode_rejects_a_negative_id()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Create(new FakeTimeProvider(Start)).Decode(-5));

    [Fact]
    public void Concurrent_callers_get_distinct_ids()
    {
        var generator = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 3 });
        var all = new long[4][];
        Parallel.For(0, 4, t =>
        {
            all[t] = new long[50_000];
            for (var i = 0; i < all[t].Length; i++)
                all[t][i] = generator.Next();
        });
        Assert.Equal(200_000, all.SelectMany(ids => ids).Distinct().Count());
        Assert.All(all, ids => Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second), "each caller sees increasing ids"));
    }
}
