namespace Coord.Locks;

/// <summary>A lock operation failed. Names the lock, the backend and where the backend lives.</summary>
public class LockException : Exception
{
    public LockException(string message, string lockName, string backend, string endpoint, Exception? innerException = null)
        : base(message, innerException)
    {
        LockName = lockName;
        Backend = backend;
        Endpoint = endpoint;
    }

    public string LockName { get; }
    public string Backend { get; }
    public string Endpoint { get; }
}
