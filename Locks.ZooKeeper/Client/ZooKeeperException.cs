namespace Coord.Locks.ZooKeeper.Client;

/// <summary>A ZooKeeper call failed; <see cref="Code"/> is the server's error code by name.</summary>
internal sealed class ZooKeeperException : Exception
{
    public ZooKeeperException(ZooKeeperErrorCode code, string detail, Exception? innerException = null)
        : base($"ZooKeeper {code} ({(int)code}): {detail}", innerException)
    {
        Code = code;
    }

    public ZooKeeperErrorCode Code { get; }
}
