using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>
/// Semaphores on PostgreSQL: at most <c>maxCount</c> permits of a name at once, handed out first come, first
/// served. A permit is a row with a lease on the server's clock; a freed permit goes straight to the first
/// live waiter in line, with one wake-up to that waiter's process alone (by NOTIFY, or in process when it
/// waits in the releasing process), on the LISTEN connection the process's <see cref="PostgresLock"/>s use too.
/// </summary>
/// <remarks>
/// Takes the same <see cref="PostgresLockOptions"/> as <see cref="PostgresLock"/>; its tables and functions
/// (<c>&lt;TableName&gt;_sem</c>, <c>_sem_holders</c>, <c>_sem_waiters</c>) live beside the lock's and are
/// created on first use unless <see cref="PostgresLockOptions.CreateSchema"/> is off. Holding a permit keeps
/// no connection busy; renew and release work by holder token from any client. Fencing tokens come from a
/// per-name counter row that is never deleted, so they keep rising for as long as the database lives.
/// </remarks>
public sealed class PostgresSemaphore : SemaphoreProvider
{
    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings, as for <see cref="PostgresLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresSemaphore(PostgresLockOptions options, ILogger<PostgresSemaphore>? logger = null)
        : base(options, logger, PostgresHolds.Backend, provider => new PostgresHolds(options, new PostgresSemaphoreStatements(options.Schema, options.TableName, PostgresSemaphoreStatements.SemaphoreKind), provider))
    {
    }
}
