namespace Coord.Ids.Snowflake;

/// <summary>
/// A generator starting on a leased worker id found its clock further behind the last timestamp the
/// store recorded for that worker than it may wait: it could reissue ids an earlier owner issued.
/// </summary>
public sealed class ClockBehindStoredTimestampException : InvalidOperationException
{
    /// <summary>Creates the exception for worker <paramref name="workerId"/>.</summary>
    /// <param name="workerId">The leased worker id.</param>
    /// <param name="gap">How far this clock is behind the stored timestamp.</param>
    /// <param name="maxWait">The longest start-up wait allowed (<see cref="SnowflakeOptions.MaxStartupClockWait"/>).</param>
    public ClockBehindStoredTimestampException(int workerId, TimeSpan gap, TimeSpan maxWait)
        : base($"Refusing to start Snowflake worker {workerId}: this clock is {gap.TotalMilliseconds:0} ms behind the last timestamp " +
               $"the lease store recorded for the worker, more than the {maxWait.TotalMilliseconds:0} ms start-up may wait. " +
               "Fix the clock (or wait until it passes the stored timestamp) and start again.")
    {
        WorkerId = workerId;
        Gap = gap;
    }

    /// <summary>The leased worker id.</summary>
    public int WorkerId { get; }

    /// <summary>How far this clock is behind the last timestamp stored for the worker.</summary>
    public TimeSpan Gap { get; }
}
