namespace Coord.Ids.Snowflake;

/// <summary>
/// The clock moved back further than the generator may wait out, and no rollback counter value is
/// free: issuing an id now could repeat one issued before.
/// </summary>
public sealed class ClockMovedBackwardsException : InvalidOperationException
{
    /// <summary>Creates the exception for a clock jump back.</summary>
    /// <param name="drift">How far the clock is behind the last timestamp issued.</param>
    /// <param name="lastIssued">Time of the last id issued.</param>
    /// <param name="now">What the clock says now.</param>
    /// <param name="reason">Why the generator cannot go on, appended to the message.</param>
    public ClockMovedBackwardsException(TimeSpan drift, DateTimeOffset lastIssued, DateTimeOffset now, string reason)
        : base($"The clock moved backwards by {drift.TotalMilliseconds:0} ms (last id issued at {lastIssued:O}, the clock now says {now:O}); {reason}")
    {
        Drift = drift;
        LastIssued = lastIssued;
        Now = now;
    }

    /// <summary>How far the clock is behind the last timestamp issued.</summary>
    public TimeSpan Drift { get; }

    /// <summary>Time of the last id issued before the jump.</summary>
    public DateTimeOffset LastIssued { get; }

    /// <summary>What the clock said when the jump was seen.</summary>
    public DateTimeOffset Now { get; }
}
