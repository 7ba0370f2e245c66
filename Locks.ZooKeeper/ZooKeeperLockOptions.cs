using Coord.Locks.ZooKeeper.Client;

namespace Coord.Locks.ZooKeeper;

/// <summary>Options for <see cref="ZooKeeperLock"/>.</summary>
public sealed class ZooKeeperLockOptions : LockOptions
{
    /// <summary>Ensemble members, <c>host:port,host:port</c>. Required.</summary>
    public string? ConnectString { get; set; }

    /// <summary>
    /// Persistent node under which each lock name gets its own container node; see
    /// <see cref="ZooKeeperLockPaths"/> for how names map to paths. A valid ZooKeeper path below <c>/</c>; default <c>/coord/locks</c>.
    /// </summary>
    public string Root { get; set; } = "/coord/locks";

    /// <summary>
    /// The server's <c>minSessionTimeout</c> (by default 2 × <c>tickTime</c>, 4 s with ZooKeeper's
    /// default tick of 2 s), and so the shortest TTL this provider accepts: a crashed process's holds end
    /// only when the server expires its session, so a shorter TTL could not be honoured; it is refused
    /// before anything is sent. Set it to match a server with a shorter tick. If the server turns out to expire sessions
    /// later still, the provider learns that at its first connect and refuses below it from then on.
    /// 100 ms to 1 day, and at most <see cref="LockOptions.DefaultTtl"/>; default 4 s.
    /// </summary>
    public TimeSpan MinimumSessionTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ConnectString))
            throw new ArgumentException($"{nameof(ConnectString)} is required: ZooKeeper members as 'host:port,host:port'.", nameof(ConnectString));
        _ = new ZooKeeperClientOptions { ConnectString = ConnectString }.ParseServers();
        if (MinimumSessionTimeout < TimeSpan.FromMilliseconds(100) || MinimumSessionTimeout > MaximumTtl)
            throw new ArgumentOutOfRangeException(nameof(MinimumSessionTimeout), MinimumSessionTimeout, $"{nameof(MinimumSessionTimeout)} must be from 100 ms (the shortest session Coord asks for) to 1 day; it was {LockValidation.Describe(MinimumSessionTimeout)}.");
        if (DefaultTtl < MinimumSessionTimeout)
            throw new ArgumentOutOfRangeException(nameof(DefaultTtl), DefaultTtl, $"{nameof(DefaultTtl)} ({LockValidation.Describe(DefaultTtl)}) must be at least {nameof(MinimumSessionTimeout)} ({LockValidation.Describe(MinimumSessionTimeout)}), the server's shortest session: a shorter TTL could not be honoured.");
        if (Root is null || Root == "/")
            throw new ArgumentException($"{nameof(Root)} must be a ZooKeeper path below '/', such as '/coord/locks'.", nameof(Root));
        ZooKeeperPaths.Validate(Root);
    }
}
