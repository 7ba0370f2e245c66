namespace Coord.Locks.ZooKeeper.Client;

/// <summary>A node's data and metadata (getData).</summary>
internal sealed record ZooKeeperNodeData(byte[] Data, ZooKeeperStat Stat);
