namespace Coord.Locks;

/// <summary>
/// An acquire named another max count than the one the semaphore is in use with. Every client of a name
/// must use the same count; the count can change only while nobody holds or waits for the name.
/// </summary>
public sealed class SemaphoreCountMismatchException(string semaphoreName, string backend, string endpoint, int requestedMaxCount, int activeMaxCount)
    : LockException(
        $"Semaphore '{semaphoreName}' on {backend} at {endpoint} is in use with max count {activeMaxCount}; this acquire asked for {requestedMaxCount}. " +
        "Every client of a name must pass the same max count; a new count takes effect once nobody holds or waits for the name.",
        semaphoreName, backend, endpoint)
{
    /// <summary>The max count this acquire asked for.</summary>
    public int RequestedMaxCount { get; } = requestedMaxCount;

    /// <summary>The max count the semaphore is in use with.</summary>
    public int ActiveMaxCount { get; } = activeMaxCount;
}
