using Coord.Locks;
using Coord.Locks.RedLock;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: redlock</c> — a majority of independent Redis masters; no fencing tokens. Settings of <see cref="RedLockOptions"/>.</summary>
public sealed class RedLockBackendFactory : LockBackendFactory<RedLockOptions>
{
    public override string Type => "redlock";

    protected override ILockLeases Create(RedLockOptions options, ILoggerFactory loggers)
        => new RedLockLock(options, loggers.CreateLogger<RedLockLock>());
}
