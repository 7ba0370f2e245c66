namespace Coord.Locks.ZooKeeper.Client;

/// <summary>A node's metadata as ZooKeeper reports it (the jute <c>Stat</c> record).</summary>
/// <param name="Czxid">Transaction id that created the node; rises with every create in the ensemble.</param>
/// <param name="Mzxid">Transaction id that last changed the node's data.</param>
/// <param name="Ctime">Creation time, Unix ms by the server's clock.</param>
/// <param name="Mtime">Last data change, Unix ms by the server's clock.</param>
/// <param name="Version">Number of changes to the node's data.</param>
/// <param name="Cversion">Number of changes to the node's children.</param>
/// <param name="Aversion">Number of changes to the node's ACL.</param>
/// <param name="EphemeralOwner">Session id owning an ephemeral node; 0 for other nodes.</param>
/// <param name="DataLength">Length of the node's data in bytes.</param>
/// <param name="NumChildren">Number of children.</param>
/// <param name="Pzxid">Transaction id that last changed the node's children.</param>
internal sealed record ZooKeeperStat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid);
