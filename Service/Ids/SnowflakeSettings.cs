using Coord.Ids.Snowflake;

namespace Coord.Service.Ids;

/// <summary>
/// <c>Coord:Ids:Snowflake</c> as configuration gives it (every property settable, so every key is
/// applied); <see cref="SnowflakeOptions"/> is made from it once the values are known.
/// <c>WorkerIdLease</c> is read separately, by its <c>Type</c>.
/// </summary>
public sealed class SnowflakeSettings
{
    private static readonly SnowflakeOptions LibraryDefaults = new();

    public SnowflakeLayoutSettings Layout { get; set; } = new();

    public DateTimeOffset Epoch { get; set; } = SnowflakeOptions.DefaultEpoch;

    public TimeSpan MaxRollbackWait { get; set; } = LibraryDefaults.MaxRollbackWait;

    public TimeSpan MaxStartupClockWait { get; set; } = LibraryDefaults.MaxStartupClockWait;

    /// <summary>A fixed worker id; leave unset to lease one (<c>WorkerIdLease</c>) or, with neither, to run dev mode's <see cref="IdServices.DevWorkerId"/>.</summary>
    public int? WorkerId { get; set; }

    public SnowflakeOptions ToOptions() => new()
    {
        Layout = Layout.ToLayout(),
        Epoch = Epoch,
        MaxRollbackWait = MaxRollbackWait,
        MaxStartupClockWait = MaxStartupClockWait,
        WorkerId = WorkerId,
    };
}
