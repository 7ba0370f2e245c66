namespace Coord.Locks.ZooKeeper.Client;

/// <summary>Where a client's session stands.</summary>
internal enum ZooKeeperState
{
    /// <summary>Not talking to any server now; the session may still live and the client is trying another member.</summary>
    Disconnected,

    /// <summary>Connected to a member that serves the session.</summary>
    SyncConnected,

    /// <summary>The server ended the session (or it could not be reached within the session timeout): its ephemeral nodes are gone.</summary>
    Expired,

    /// <summary>Closed by this client.</summary>
    Closed,
}
