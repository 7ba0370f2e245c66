using Coord.Ids.Snowflake;
using Coord.Ids.WorkerIds;

namespace Coord.Ids.Tests.Snowflake;

public sealed class SnowflakeLayoutTests
{
    [Fact]
    public void Default_layout_is_41_10_12()
    {
        var layout = SnowflakeLayout.Default;
        Assert.Equal((41, 10, 12, 0), (layout.TimestampBits, layout.WorkerBits, layout.SequenceBits, layout.RollbackBits));
        Assert.Equal(1023, layout.MaxWorkerId);
        Assert.Equal(4095, layout.MaxSequence);
    }

    [Fact]
    public void Rollback_bits_are_carved_from_the_chosen_field()
    {
        var fromWorker = SnowflakeLayout.Default.WithRollbackBits(2, SnowflakeField.Worker);
        Assert.Equal((41, 8, 12, 2), (fromWorker.TimestampBits, fromWorker.WorkerBits, fromWorker.SequenceBits, fromWorker.RollbackBits));
        var fromSequence = SnowflakeLayout.Default.WithRollbackBits(3, SnowflakeField.Sequence);
        Assert.Equal((41, 10, 9, 3), (fromSequence.TimestampBits, fromSequence.WorkerBits, fromSequence.SequenceBits, fromSequence.RollbackBits));
    }

    [Fact]
    public void A_layout_that_does_not_add_up_to_63_bits_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new SnowflakeLayout(41, 10, 13));
        Assert.Contains("exactly 63 bits", error.Message);
        Assert.Contains("uses 64", error.Message);
    }

    [Theory]
    [InlineData(30, 10, 12, 11, "Timestamp bits")]
    [InlineData(41, 21, 1, 0, "Worker bits")]
    [InlineData(41, 22, 0, 0, "Worker bits")]
    [InlineData(41, 0, 12, 10, "Rollback bits")]
    public void Field_widths_out_of_range_are_rejected(int timestamp, int worker, int sequence, int rollback, string named)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new SnowflakeLayout(timestamp, worker, sequence, rollback));
        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void A_worker_id_outside_the_layout_is_rejected(int workerId)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnowflakeGenerator(new SnowflakeOptions { WorkerId = workerId }));
        Assert.Contains("between 0 and 1023", error.Message);
    }

    [Fact]
    public void Options_need_exactly_one_worker_id_source()
    {
        Assert.Contains("exactly one", Assert.Throws<ArgumentException>(() => new SnowflakeOptions().Validate()).Message);
        var both = new SnowflakeOptions { WorkerId = 1, WorkerIdLeaser = new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions { ConnectionString = "Host=x" }) };
        Assert.Contains("exactly one", Assert.Throws<ArgumentException>(both.Validate).Message);
    }

    [Fact]
    public void A_rollback_wait_over_a_second_is_rejected()
    {
        var options = new SnowflakeOptions { WorkerId = 1, MaxRollbackWait = TimeSpan.FromSeconds(2) };
        Assert.Contains("MaxRollbackWait", Assert.Throws<ArgumentOutOfRangeException>(options.Validate).Message);
    }
}
