using Coord.Locks;
using Coord.Locks.Etcd;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: etcd</c> — settings of <see cref="EtcdLockOptions"/> (<c>Endpoints:0</c>, <c>Prefix</c>, <c>Username</c>, <c>Password</c>).</summary>
public sealed class EtcdBackendFactory : LockBackendFactory<EtcdLockOptions>
{
    public override string Type => "etcd";

    protected override ILockLeases Create(EtcdLockOptions options, ILoggerFactory loggers)
        => new EtcdLock(options, loggers.CreateLogger<EtcdLock>());

    // A bare permit gets a lease of its own, as a bare lock lease does, so it lives only as long as its client renews it.
    protected override SemaphoreProvider CreateSemaphore(EtcdLockOptions options, ILoggerFactory loggers)
        => new EtcdSemaphore(options, loggers.CreateLogger<EtcdSemaphore>());

    // A campaign over REST is a bare lease too (a lease of its own), so any instance can renew or resign it by token.
    protected override LeaderElectionProvider CreateElection(IConfigurationSection settings, TimeProvider time, ILoggerFactory loggers)
        => new EtcdLeaderElection(Bind<EtcdLeaderElectionOptions>(settings, time), loggers.CreateLogger<EtcdLeaderElection>());
}
