using Coord.Ids.WorkerIds;

namespace Coord.Ids.Snowflake;

/// <summary>Settings of a <see cref="SnowflakeGenerator"/>.</summary>
public sealed class SnowflakeOptions
{
    /// <summary>2020-01-01T00:00:00Z; with 41 timestamp bits ids last until 2089.</summary>
    public static readonly DateTimeOffset DefaultEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Bit layout of the ids; default <see cref="SnowflakeLayout.Default"/> (41 | 0 | 10 | 12).</summary>
    public SnowflakeLayout Layout { get; set; } = SnowflakeLayout.Default;

    /// <summary>Time zero of the id's timestamp field. Must not be in the future.</summary>
    public DateTimeOffset Epoch { get; set; } = DefaultEpoch;

    /// <summary>A fixed worker id, unique across the fleet by configuration. Leave null to lease one (<see cref="WorkerIdLeaser"/>).</summary>
    public int? WorkerId { get; set; }

    /// <summary>
    /// Lease the worker id from a store (PostgreSQL, Redis, etcd, ZooKeeper) instead of configuring it.
    /// A <see cref="SnowflakeGeneratorProvider"/> made with these options owns the leaser and disposes it.
    /// </summary>
    public IWorkerIdLeaser? WorkerIdLeaser { get; set; }

    /// <summary>A clock that moves back by at most this much is waited out (default 5 ms).</summary>
    public TimeSpan MaxRollbackWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// At start-up with a leased worker id, a clock up to this far behind the last timestamp stored
    /// for the worker is waited out (default 2 s); further behind, start-up is refused.
    /// </summary>
    public TimeSpan MaxStartupClockWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks every setting; called by the generator, the provider and at registration.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and what is allowed.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Layout);
        if (WorkerId is null == WorkerIdLeaser is null)
            throw new ArgumentException("Set exactly one of WorkerId (static) or WorkerIdLeaser (leased from a store).");
        if (WorkerId is { } id)
            ValidateWorkerId(Layout, id);
        if (MaxRollbackWait < TimeSpan.Zero || MaxRollbackWait > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(MaxRollbackWait), MaxRollbackWait, "MaxRollbackWait must be between 0 and 1 s.");
        if (MaxStartupClockWait < TimeSpan.Zero || MaxStartupClockWait > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(MaxStartupClockWait), MaxStartupClockWait, "MaxStartupClockWait must be between 0 and 1 min.");
        if (Epoch.ToUnixTimeMilliseconds() < 0)
            throw new ArgumentOutOfRangeException(nameof(Epoch), Epoch, "Epoch must be at or after 1970-01-01.");
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> when ids cannot be issued at <paramref name="now"/>:
    /// the epoch is later, or the timestamp field ran out.
    /// </summary>
    public void ValidateAt(DateTimeOffset now)
    {
        var elapsedMs = now.ToUnixTimeMilliseconds() - Epoch.ToUnixTimeMilliseconds();
        if (elapsedMs < 0)
            throw new ArgumentOutOfRangeException(nameof(Epoch), Epoch, $"Epoch {Epoch:O} is in the future (the clock says {now:O}); ids count milliseconds since the epoch.");
        if (elapsedMs > Layout.MaxTimestamp)
            throw new ArgumentOutOfRangeException(nameof(Epoch), Epoch,
                $"With {Layout.TimestampBits} timestamp bits, ids from the epoch {Epoch:O} ran out at {Epoch.AddMilliseconds(Layout.MaxTimestamp):O}; " +
                "choose a later epoch or more timestamp bits.");
    }

    internal static void ValidateWorkerId(SnowflakeLayout layout, int workerId)
    {
        if (workerId < 0 || workerId > layout.MaxWorkerId)
            throw new ArgumentOutOfRangeException(nameof(workerId), workerId,
                $"Worker id must be between 0 and {layout.MaxWorkerId} for the layout {layout}.");
    }
}
