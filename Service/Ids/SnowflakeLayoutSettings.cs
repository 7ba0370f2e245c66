using Coord.Ids.Snowflake;

namespace Coord.Service.Ids;

/// <summary>
/// <c>Coord:Ids:Snowflake:Layout</c>. The service's default is 41 ms | 2 rollback | 8 worker | 12 sequence:
/// the library's classic layout with two worker bits turned into rollback bits, so a clock step back
/// of any size is survived up to three times over (see <see cref="RollbackBits"/>).
/// </summary>
public sealed class SnowflakeLayoutSettings
{
    public const int ServiceDefaultRollbackBits = 2;

    public int TimestampBits { get; set; } = SnowflakeLayout.Default.TimestampBits;

    /// <summary>
    /// 2^RollbackBits counter values; each clock step back beyond MaxRollbackWait moves to a value not
    /// yet used at that time, so 2^RollbackBits − 1 steps can be outstanding before ids are refused.
    /// </summary>
    public int RollbackBits { get; set; } = ServiceDefaultRollbackBits;

    /// <summary>Unset: whatever the other fields leave of the 63 bits.</summary>
    public int? WorkerBits { get; set; }

    public int SequenceBits { get; set; } = SnowflakeLayout.Default.SequenceBits;

    public SnowflakeLayout ToLayout()
        => new(TimestampBits, WorkerBits ?? SnowflakeLayout.TotalBits - TimestampBits - RollbackBits - SequenceBits, SequenceBits, RollbackBits);
}
