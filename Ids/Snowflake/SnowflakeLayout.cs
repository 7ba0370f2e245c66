namespace Coord.Ids.Snowflake;

/// <summary>
/// Bit layout of a 63-bit Snowflake id (the sign bit stays 0), from the top:
/// timestamp (ms since the epoch) | rollback counter | worker id | sequence.
/// The default is 41 | 0 | 10 | 12: about 69 years, 1,024 workers, 4,096 ids per ms per worker.
/// </summary>
/// <remarks>
/// The rollback counter sits just below the timestamp so that, when the clock jumps back by more than
/// the wait bound, the generator can switch to another counter value and keep issuing ids that cannot
/// collide with the ones it issued at the same millisecond before the jump.
/// </remarks>
public sealed record SnowflakeLayout
{
    public const int TotalBits = 63;

    public SnowflakeLayout(int timestampBits = 41, int workerBits = 10, int sequenceBits = 12, int rollbackBits = 0)
    {
        TimestampBits = timestampBits;
        WorkerBits = workerBits;
        SequenceBits = sequenceBits;
        RollbackBits = rollbackBits;
        Validate();
    }

    /// <summary>1 | 41 ms | 10 worker | 12 sequence, no rollback bits.</summary>
    public static SnowflakeLayout Default { get; } = new();

    public int TimestampBits { get; }
    public int WorkerBits { get; }
    public int SequenceBits { get; }
    public int RollbackBits { get; }

    public long MaxTimestamp => (1L << TimestampBits) - 1;
    public int MaxWorkerId => (int)((1L << WorkerBits) - 1);
    public int MaxSequence => (int)((1L << SequenceBits) - 1);
    public int RollbackCounterValues => 1 << RollbackBits;

    internal int SequenceShift => 0;
    internal int WorkerShift => SequenceBits;
    internal int RollbackShift => SequenceBits + WorkerBits;
    internal int TimestampShift => SequenceBits + WorkerBits + RollbackBits;

    /// <summary>This layout with <paramref name="bits"/> rollback bits taken from the worker or sequence field.</summary>
    public SnowflakeLayout WithRollbackBits(int bits, SnowflakeField carvedFrom)
    {
        if (bits is < 0 or > 8)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Rollback bits must be between 0 and 8.");
        var extra = bits - RollbackBits;
        return carvedFrom switch
        {
            SnowflakeField.Worker => new SnowflakeLayout(TimestampBits, WorkerBits - extra, SequenceBits, bits),
            SnowflakeField.Sequence => new SnowflakeLayout(TimestampBits, WorkerBits, SequenceBits - extra, bits),
            _ => throw new ArgumentOutOfRangeException(nameof(carvedFrom), carvedFrom, "Rollback bits come from Worker or Sequence."),
        };
    }

    internal long Compose(long timestamp, int rollbackCounter, int workerId, int sequence)
        => (timestamp << TimestampShift) | ((long)rollbackCounter << RollbackShift) | ((long)workerId << WorkerShift) | (long)sequence;

    internal (long Timestamp, int RollbackCounter, int WorkerId, int Sequence) Split(long id)
    {
        if (id < 0)
            throw new ArgumentOutOfRangeException(nameof(id), id, "A Snowflake id is never negative: the sign bit is always 0.");
        return (id >> TimestampShift,
            (int)((id >> RollbackShift) & (RollbackCounterValues - 1)),
            (int)((id >> WorkerShift) & MaxWorkerId),
            (int)(id & MaxSequence));
    }

    private void Validate()
    {
        if (TimestampBits is < 31 or > 62)
            throw new ArgumentOutOfRangeException(nameof(TimestampBits), TimestampBits, "Timestamp bits must be between 31 (about 24 days) and 62.");
        if (WorkerBits is < 0 or > 20)
            throw new ArgumentOutOfRangeException(nameof(WorkerBits), WorkerBits, "Worker bits must be between 0 and 20.");
        if (SequenceBits is < 1 or > 22)
            throw new ArgumentOutOfRangeException(nameof(SequenceBits), SequenceBits, "Sequence bits must be between 1 and 22.");
        if (RollbackBits is < 0 or > 8)
            throw new ArgumentOutOfRangeException(nameof(RollbackBits), RollbackBits, "Rollback bits must be between 0 and 8.");
        var total = TimestampBits + WorkerBits + SequenceBits + RollbackBits;
        if (total != TotalBits)
            throw new ArgumentException(
                $"Snowflake layout must use exactly {TotalBits} bits (timestamp + rollback + worker + sequence) but uses {total}: {this}.");
    }

    public override string ToString()
        => $"1 sign | {TimestampBits} ms | {RollbackBits} rollback | {WorkerBits} worker | {SequenceBits} sequence";
}
