using Coord.Ids.Snowflake;
using Coord.Service.Ids;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Service.Tests.Ids;

/// <summary>
/// <c>Coord:Ids:*</c> at start-up: every Snowflake layout field, the epoch and the waits are applied;
/// a value that cannot work stops start-up naming the setting and what is allowed.
/// </summary>
public sealed class SnowflakeConfigurationTests
{
    private static async Task<SnowflakeOptions> StartWithAsync(params string[] settings)
    {
        var app = CoordServiceApp.Build(["--urls=http://127.0.0.1:0", .. settings]);
        await using (app)
            return app.Services.GetRequiredService<IdServices>().Snowflake.Options;
    }

    private static string RefusedWith(params string[] settings)
        => Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(["--urls=http://127.0.0.1:0", .. settings])).Message;

    [Fact]
    public async Task The_service_default_takes_two_rollback_bits_from_the_worker_bits()
    {
        var options = await StartWithAsync();
        Assert.Equal(new SnowflakeLayout(timestampBits: 41, workerBits: 8, sequenceBits: 12, rollbackBits: 2), options.Layout);
        Assert.Equal(255, options.Layout.MaxWorkerId);
        Assert.Equal(4, options.Layout.RollbackCounterValues);
        Assert.Equal(IdServices.DevWorkerId, options.WorkerId);
    }

    [Fact]
    public async Task Every_layout_field_the_epoch_and_the_waits_are_applied()
    {
        var options = await StartWithAsync(
            "--Coord:Ids:Snowflake:Layout:TimestampBits=42", "--Coord:Ids:Snowflake:Layout:RollbackBits=3",
            "--Coord:Ids:Snowflake:Layout:WorkerBits=7", "--Coord:Ids:Snowflake:Layout:SequenceBits=11",
            "--Coord:Ids:Snowflake:Epoch=2024-06-01T00:00:00Z", "--Coord:Ids:Snowflake:MaxRollbackWait=00:00:00.020",
            "--Coord:Ids:Snowflake:MaxStartupClockWait=00:00:07", "--Coord:Ids:Snowflake:WorkerId=127");
        Assert.Equal(new SnowflakeLayout(timestampBits: 42, workerBits: 7, sequenceBits: 11, rollbackBits: 3), options.Layout);
        Assert.Equal(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero), options.Epoch);
        Assert.Equal(TimeSpan.FromMilliseconds(20), options.MaxRollbackWait);
        Assert.Equal(TimeSpan.FromSeconds(7), options.MaxStartupClockWait);
        Assert.Equal(127, options.WorkerId);
    }

    [Theory]
    [InlineData(0, 10, 1023)]
    [InlineData(1, 9, 511)]
    [InlineData(8, 2, 3)]
    public async Task Rollback_bits_alone_come_out_of_the_worker_bits(int rollbackBits, int workerBits, int maxWorkerId)
    {
        var options = await StartWithAsync($"--Coord:Ids:Snowflake:Layout:RollbackBits={rollbackBits}", $"--Coord:Ids:Snowflake:WorkerId={maxWorkerId}");
        Assert.Equal((rollbackBits, workerBits, maxWorkerId), (options.Layout.RollbackBits, options.Layout.WorkerBits, options.Layout.MaxWorkerId));
        Assert.Equal(maxWorkerId, options.WorkerId);
    }

    [Theory]
    [InlineData("--Coord:Ids:Snowflake:Layout:RollbackBits=9", "Rollback bits must be between 0 and 8")]
    [InlineData("--Coord:Ids:Snowflake:Layout:RollbackBits=-1", "Rollback bits must be between 0 and 8")]
    [InlineData("--Coord:Ids:Snowflake:Layout:TimestampBits=30", "Timestamp bits must be between 31")]
    [InlineData("--Coord:Ids:Snowflake:Layout:SequenceBits=0", "Sequence bits must be between 1 and 22")]
    [InlineData("--Coord:Ids:Snowflake:Layout:WorkerBits=10", "exactly 63 bits")]
    [InlineData("--Coord:Ids:Snowflake:Layout:TimestampBits=31", "ran out")]
    [InlineData("--Coord:Ids:Snowflake:Epoch=2999-01-01T00:00:00Z", "in the future")]
    [InlineData("--Coord:Ids:Snowflake:WorkerId=256", "between 0 and 255")]
    [InlineData("--Coord:Ids:Snowflake:WorkerId=-1", "between 0 and 255")]
    [InlineData("--Coord:Ids:Snowflake:MaxRollbackWait=00:00:01.001", "MaxRollbackWait must be between 0 and 1 s")]
    [InlineData("--Coord:Ids:Snowflake:MaxStartupClockWait=00:01:01", "MaxStartupClockWait must be between 0 and 1 min")]
    [InlineData("--Coord:Ids:Snowflake:Layout:RollbackBits=two", "RollbackBits")]
    public void A_value_that_cannot_apply_stops_start_up_with_the_reason(string setting, string reason)
    {
        var message = RefusedWith(setting);
        Assert.Contains("Coord:Ids:Snowflake", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Coord:Ids:Snowflake:Layout:MaxWorkerId=5", "unknown setting 'MaxWorkerId'")]
    [InlineData("--Coord:Ids:Snowflake:Layout=41,2,8,12", "is a section")]
    [InlineData("--Coord:Ids:Snowflake:WorkerId:0=3", "is a single value")]
    [InlineData("--Coord:Ids:Snowflake:RollbackBits=2", "unknown setting 'RollbackBits'")]
    [InlineData("--Coord:Ids:Snowflaek:WorkerId=3", "unknown setting 'Snowflaek'")]
    [InlineData("--Coord:Ids:Segment:PreloadTreshold=0.2", "unknown setting 'PreloadTreshold'")]
    [InlineData("--Coord:Ids:Segment:PostgresStore:ConectionString=x", "unknown setting 'ConectionString'")]
    public void A_key_that_would_not_be_applied_stops_start_up(string setting, string reason)
        => Assert.Contains(reason, RefusedWith(setting), StringComparison.Ordinal);

    [Fact]
    public void A_fixed_worker_id_and_a_lease_together_are_refused()
        => Assert.Contains("not both", RefusedWith("--Coord:Ids:Snowflake:WorkerId=3", "--Coord:Ids:Snowflake:WorkerIdLease:ConnectionString=Host=127.0.0.1"), StringComparison.Ordinal);

    [Fact]
    public void An_unknown_lease_store_type_is_refused_with_the_known_ones()
    {
        var message = RefusedWith("--Coord:Ids:Snowflake:WorkerIdLease:Type=mongo");
        Assert.Contains("'mongo' is not a worker-id lease store", message, StringComparison.Ordinal);
        Assert.Contains("postgres", message, StringComparison.Ordinal);
    }
}
