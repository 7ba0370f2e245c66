namespace Coord.Ids.Snowflake;

/// <summary>
/// The clock moved back further than the generator may wait out, and no rollback counter value is
/// free: issuing an id now could repeat one issued before.
/// </summary>
public sealed class ClockMovedBackwardsException : InvalidOperationException
{
    public ClockMovedBackwardsException(TimeSpan drift, DateTimeOffset lastIssued, DateTimeOffset now, string reason)
        : base($"The clock moved backwards by {drift.TotalMilliseconds:0} ms (last id issued at {lastIssued:O}, the clock now says {now:O}); {reason}")
    {
        Drift = drift;
        LastIssued = lastIssued;
        Now = now;
    }

    /// <summary>How far the clock is behind the last timestamp issued.</summary>
    public TimeSpan Drift { get; }

    public DateTimeOffset LastIssued { get; }

    public DateTimeOffset Now { get; }
}
