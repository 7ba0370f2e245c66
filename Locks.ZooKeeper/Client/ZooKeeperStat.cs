namespace Coord.Locks.ZooKeeper.Client;

/// <summary>A node's metadata as ZooKeeper reports it (the jute <c>Stat</c> record).</summary>
/// <param name="Czxid">Transaction id that created the node; rises with every create in the ensemble.</param>
/// <param name="EphemeralOwner">Session id owning an ephemeral node; 0 for other nodes.</param>
internal sealed record ZooKeeperStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid);
