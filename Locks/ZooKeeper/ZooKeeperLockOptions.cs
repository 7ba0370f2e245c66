using Coord.Locks.ZooKeeper.Client;

namespace Coord.Locks.ZooKeeper;

/// <summary>Options for <see cref="ZooKeeperLock"/>.</summary>
public sealed class ZooKeeperLockOptions : LockOptions
{
    /// <summary>Ensemble members, <c>host:port,host:port</c>.</summary>
    public string? ConnectString { get; set; }

    /// <summary>
    /// Persistent node under which each lock name gets its own container node; see
    /// <see cref="ZooKeeperLockPaths"/> for how names map to paths. Default <c>/coord/locks</c>.
    /// </summary>
    public string Root { get; set; } = "/coord/locks";

    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ConnectString))
            throw new ArgumentException($"{nameof(ConnectString)} is required: ZooKeeper members as 'host:port,host:port'.", nameof(ConnectString));
        _ = new ZooKeeperClientOptions { ConnectString = ConnectString }.ParseServers();
        if (Root is null || Root == "/")
            throw new ArgumentException($"{nameof(Root)} must be a ZooKeeper path below '/', such as '/coord/locks'.", nameof(Root));
        ZooKeeperPaths.Validate(Root);
    }
}
