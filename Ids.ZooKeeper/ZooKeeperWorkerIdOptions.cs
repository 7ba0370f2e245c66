using Coord.Locks.ZooKeeper.Client;

namespace Coord.Ids.WorkerIds;

/// <summary>Where and how to lease Snowflake worker ids from a ZooKeeper ensemble.</summary>
public sealed class ZooKeeperWorkerIdOptions
{
    /// <summary>Ensemble members, <c>host:port,host:port</c>.</summary>
    public string ConnectString { get; set; } = "";

    /// <summary>Nodes are <c>&lt;Root&gt;/&lt;Pool&gt;/holders/&lt;id&gt;</c> (ephemeral) and <c>.../last/&lt;id&gt;</c> (persistent, the stored timestamp).</summary>
    public string Root { get; set; } = "/coord/worker-ids";

    /// <summary>Generators sharing a pool name share the worker id space (one pool per Snowflake id space).</summary>
    public string Pool { get; set; } = "default";

    /// <summary>
    /// The session timeout asked for (default 30 s): each lease has a session of its own, and a holder that
    /// dies frees its id when the server expires that session. The server fits it into its own bounds
    /// (minSessionTimeout and maxSessionTimeout, by default 2 and 20 ticks, 4 s to 40 s); the lease
    /// then counts from the timeout the server granted.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on connecting and on each request (default 5 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every setting; called by the constructor that takes these options and at registration.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A duration is outside its range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectString))
            throw new ArgumentException("ZooKeeperWorkerIdOptions.ConnectString is required: ZooKeeper members as 'host:port,host:port'.");
        _ = new ZooKeeperClientOptions { ConnectString = ConnectString }.ParseServers();
        if (Root is null || Root == "/")
            throw new ArgumentException("ZooKeeperWorkerIdOptions.Root must be a ZooKeeper path below '/', such as '/coord/worker-ids'.");
        ZooKeeperPaths.Validate(Root);
        WorkerIdPools.Validate(Pool, "ZooKeeperWorkerIdOptions.Pool");
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be between 1 s and 1 h.");
        if (CommandTimeout < TimeSpan.FromMilliseconds(100) || CommandTimeout >= LeaseDuration)
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "CommandTimeout must be at least 100 ms and shorter than LeaseDuration.");
    }
}
