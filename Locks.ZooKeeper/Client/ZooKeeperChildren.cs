namespace Coord.Locks.ZooKeeper.Client;

/// <summary>A node's children names (not full paths) and the parent's metadata (getChildren2).</summary>
internal sealed record ZooKeeperChildren(IReadOnlyList<string> Children, ZooKeeperStat Stat);
