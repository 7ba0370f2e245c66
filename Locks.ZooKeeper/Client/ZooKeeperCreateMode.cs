namespace Coord.Locks.ZooKeeper.Client;

/// <summary>Node kinds, numbered as ZooKeeper's create flags.</summary>
internal enum ZooKeeperCreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,

    /// <summary>Deleted by the server some time after its last child is gone.</summary>
    Container = 4,
}
