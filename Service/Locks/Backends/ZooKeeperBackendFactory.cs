using Coord.Locks;
using Coord.Locks.ZooKeeper;

namespace Coord.Service.Locks.Backends;

/// <summary>
/// <c>Type: zookeeper</c> — settings of <see cref="ZooKeeperLockOptions"/> (<c>ConnectString</c>, <c>Root</c>).
/// A hold is an ephemeral node of the acquiring instance's session: only that instance can renew it.
/// </summary>
public sealed class ZooKeeperBackendFactory : LockBackendFactory<ZooKeeperLockOptions>
{
    public override string Type => "zookeeper";

    protected override ILockLeases Create(ZooKeeperLockOptions options, ILoggerFactory loggers)
        => new ZooKeeperLock(options, loggers.CreateLogger<ZooKeeperLock>());
}
