namespace Coord.Locks.ZooKeeper.Client;

/// <summary>What a watch saw, numbered as ZooKeeper's event types.</summary>
internal enum ZooKeeperEventType
{
    /// <summary>No node change: the session ended (see <see cref="ZooKeeperWatchedEvent.State"/>) so the watch can never fire.</summary>
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}
