namespace Coord.Locks;

/// <summary>The backend could not be reached or answered with an error.</summary>
public sealed class LockBackendException(string message, string lockName, string backend, string endpoint, Exception? innerException = null)
    : LockException(message, lockName, backend, endpoint, innerException);
