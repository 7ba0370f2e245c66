using Coord.Locks;
using Coord.Locks.Etcd;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: etcd</c> — settings of <see cref="EtcdLockOptions"/> (<c>Endpoints:0</c>, <c>Prefix</c>, <c>Username</c>, <c>Password</c>).</summary>
public sealed class EtcdBackendFactory : LockBackendFactory<EtcdLockOptions>
{
    public override string Type => "etcd";

    protected override ILockLeases Create(EtcdLockOptions options, ILoggerFactory loggers)
        => new EtcdLock(options, loggers.CreateLogger<EtcdLock>());
}
