namespace Coord.Locks;

/// <summary>A lock operation failed. Names the lock, the backend and where the backend lives.</summary>
public class LockException : Exception
{
    /// <summary>Creates the exception for one lock operation.</summary>
    /// <param name="message">What failed and, where it helps, what to do.</param>
    /// <param name="lockName">The lock the operation was on.</param>
    /// <param name="backend">Short backend name, as <see cref="ILock.Backend"/>.</param>
    /// <param name="endpoint">Where the backend lives, as <see cref="ILock.Endpoint"/>.</param>
    /// <param name="innerException">The backend client's error, if any.</param>
    public LockException(string message, string lockName, string backend, string endpoint, Exception? innerException = null)
        : base(message, innerException)
    {
        LockName = lockName;
        Backend = backend;
        Endpoint = endpoint;
    }

    /// <summary>The lock the failed operation was on.</summary>
    public string LockName { get; }

    /// <summary>Short backend name, as <see cref="ILock.Backend"/>.</summary>
    public string Backend { get; }

    /// <summary>Where the backend lives, as <see cref="ILock.Endpoint"/>.</summary>
    public string Endpoint { get; }
}
