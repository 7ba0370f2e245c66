namespace Coord.Stress.Engine;

/// <summary>A failure injected while a scenario runs.</summary>
public enum FaultMode
{
    None,

    /// <summary>SIGKILL a worker process while it holds the lock (needs processes ≥ 2); the lock must free itself within the TTL.</summary>
    KillHolder,

    /// <summary>SIGKILL one RedLock master, or the leader of an etcd or ZooKeeper cluster, a third of the way in.</summary>
    KillServer,

    /// <summary>One holder takes a lease nothing renews, stalls past its TTL and then writes late to a fenced resource.</summary>
    PauseHolder,
}
