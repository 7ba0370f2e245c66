namespace Coord.Locks.ZooKeeper.Client;

/// <summary>One watch firing: a change to <see cref="Path"/>, or the end of the session.</summary>
internal sealed record ZooKeeperWatchedEvent(ZooKeeperEventType Type, ZooKeeperState State, string? Path);
