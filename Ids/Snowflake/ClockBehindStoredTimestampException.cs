namespace Coord.Ids.Snowflake;

/// <summary>
/// A generator starting on a leased worker id found its clock further behind the last timestamp the
/// store recorded for that worker than it may wait: it could reissue ids an earlier owner issued.
/// </summary>
public sealed class ClockBehindStoredTimestampException : InvalidOperationException
{
    public ClockBehindStoredTimestampException(int workerId, TimeSpan gap, TimeSpan maxWait)
        : base($"Refusing to start Snowflake worker {workerId}: this clock is {gap.TotalMilliseconds:0} ms behind the last timestamp " +
               $"the lease store recorded for the worker, more than the {maxWait.TotalMilliseconds:0} ms start-up may wait. " +
               "Fix the clock (or wait until it passes the stored timestamp) and start again.")
    {
        WorkerId = workerId;
        Gap = gap;
    }

    public int WorkerId { get; }

    public TimeSpan Gap { get; }
}
