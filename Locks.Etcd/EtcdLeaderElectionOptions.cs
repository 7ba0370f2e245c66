namespace Coord.Locks.Etcd;

/// <summary>Options for <see cref="EtcdLeaderElection"/>: the lock's connection and timing settings, with a prefix of its own.</summary>
/// <remarks>
/// The election <c>E</c> lives under the etcd election name <c>&lt;Prefix&gt;&lt;encoded E&gt;</c>
/// (<see cref="EtcdLockKeys.MutexName"/>; default <c>coord/election/E</c>), which is what <c>etcdctl elect</c> or a Go
/// <c>concurrency.NewElection(session, name)</c> must be given to take part in the same election.
/// </remarks>
public sealed class EtcdLeaderElectionOptions : EtcdLockOptions
{
    /// <summary>The default <see cref="EtcdLockOptions.Prefix"/> of elections: apart from the locks' <c>coord/lock/</c>, so an election and a lock never share keys.</summary>
    public const string DefaultPrefix = "coord/election/";

    /// <summary>Options with the election prefix <see cref="DefaultPrefix"/>.</summary>
    public EtcdLeaderElectionOptions() => Prefix = DefaultPrefix;
}
