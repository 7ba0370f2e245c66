namespace Coord.Locks.ZooKeeper.Client;

/// <summary>The node a create made (with the sequence suffix, for sequential nodes) and its metadata.</summary>
internal sealed record ZooKeeperCreated(string Path, ZooKeeperStat Stat);
