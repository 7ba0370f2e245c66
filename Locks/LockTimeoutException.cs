namespace Coord.Locks;

/// <summary>An acquire with a bounded wait did not get the lock in time.</summary>
public sealed class LockTimeoutException(string lockName, string backend, string endpoint, TimeSpan waited)
    : LockException($"Timed out after {waited.TotalMilliseconds:0} ms waiting for lock '{lockName}' on {backend} at {endpoint}.", lockName, backend, endpoint)
{
    /// <summary>How long the caller waited.</summary>
    public TimeSpan Waited { get; } = waited;
}
