namespace Coord.Locks.ZooKeeper;

/// <summary>
/// One node in a line of contenders, as a waiter reads it: its name, and whether it keeps everyone behind it out
/// (a lock's node, a writer's) or only the exclusive ones (a reader's).
/// </summary>
/// <param name="Child">The node's name under the line's parent.</param>
/// <param name="IsExclusive">True for a lock's or a writer's node, false for a reader's.</param>
internal readonly record struct ZooKeeperContender(string Child, bool IsExclusive);
