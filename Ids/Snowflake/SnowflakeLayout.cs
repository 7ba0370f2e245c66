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
    /// <summary>Bits every layout uses in all: 64 less the sign bit.</summary>
    public const int TotalBits = 63;

    /// <summary>A layout; the four widths must add up to <see cref="TotalBits"/>.</summary>
    /// <param name="timestampBits">Milliseconds since the epoch: 31 to 62 bits (41 lasts about 69 years).</param>
    /// <param name="workerBits">Worker id: 0 to 20 bits.</param>
    /// <param name="sequenceBits">Ids per millisecond per worker: 1 to 22 bits.</param>
    /// <param name="rollbackBits">Rollback counter for clock jumps back: 0 to 8 bits.</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is outside its range.</exception>
    /// <exception cref="ArgumentException">The widths do not add up to <see cref="TotalBits"/>.</exception>
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

    /// <summary>Width of the timestamp field (ms since the epoch).</summary>
    public int TimestampBits { get; }

    /// <summary>Width of the worker id field.</summary>
    public int WorkerBits { get; }

    /// <summary>Width of the per-millisecond sequence field.</summary>
    public int SequenceBits { get; }

    /// <summary>Width of the rollback counter field; 0 means a clock jump back is waited out or refused.</summary>
    public int RollbackBits { get; }

    /// <summary>Largest timestamp, in ms after the epoch, that fits.</summary>
    public long MaxTimestamp => (1L << TimestampBits) - 1;

    /// <summary>Largest worker id that fits.</summary>
    public int MaxWorkerId => (int)((1L << WorkerBits) - 1);

    /// <summary>Largest sequence number in one millisecond; one more id in that ms waits for the next.</summary>
    public int MaxSequence => (int)((1L << SequenceBits) - 1);

    /// <summary>Number of rollback counter values (1 when there are no rollback bits).</summary>
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

    /// <inheritdoc/>
    public override string ToString()
        => $"1 sign | {TimestampBits} ms | {RollbackBits} rollback | {WorkerBits} worker | {SequenceBits} sequence";
}
