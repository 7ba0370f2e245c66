using Coord.Locks;
using Coord.Locks.Postgres;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: postgres</c> — settings of <see cref="PostgresLockOptions"/> (<c>ConnectionString</c>, <c>Schema</c>, <c>TableName</c>, ...).</summary>
public sealed class PostgresBackendFactory : LockBackendFactory<PostgresLockOptions>
{
    public override string Type => "postgres";

    protected override ILockLeases Create(PostgresLockOptions options, ILoggerFactory loggers)
        => new PostgresLock(options, loggers.CreateLogger<PostgresLock>());

    protected override SemaphoreProvider CreateSemaphore(PostgresLockOptions options, ILoggerFactory loggers)
        => new PostgresSemaphore(options, loggers.CreateLogger<PostgresSemaphore>());

    // A leadership is a holder row by token, so any instance can renew or resign a REST campaign.
    protected override LeaderElectionProvider CreateElection(IConfigurationSection settings, TimeProvider time, ILoggerFactory loggers)
        => new PostgresLeaderElection(Bind<PostgresLockOptions>(settings, time), loggers.CreateLogger<PostgresLeaderElection>());
}
