using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>
/// Reader-writer locks on PostgreSQL: many readers of a name at once, or one writer, served first come, first served
/// from one line of readers and writers, so a waiting writer keeps back the readers that arrive after it. It is the
/// <see cref="PostgresSemaphore"/>'s engine (same functions, see <see cref="PostgresSemaphoreStatements"/>) on tables of
/// its own kind (<c>&lt;TableName&gt;_rw</c>, <c>_rw_holders</c>, <c>_rw_waiters</c>): a reader is a shared hold of a name
/// admitting <see cref="ReaderWriterLockProvider.MaxReaders"/>, a writer an exclusive one (the holders' <c>shared</c>
/// column). A release lets in every waiter at the head of the line that now fits (a writer, or the readers up to the
/// next waiting writer), with one NOTIFY to each one's process (none to the releasing process's own).
/// </summary>
/// <remarks>
/// Fencing tokens come from one counter row per name for readers and writers alike, never deleted, so a writer's
/// token is above every earlier reader's and writer's for as long as the database lives. Holding keeps no connection
/// busy; renew and release work by holder token from any client.
/// </remarks>
public sealed class PostgresReaderWriterLock : ReaderWriterLockProvider
{
    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings, as for <see cref="PostgresLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresReaderWriterLock(PostgresLockOptions options, ILogger<PostgresReaderWriterLock>? logger = null)
        : base(options, logger, PostgresHolds.Backend, provider => new PostgresHolds(options, new PostgresSemaphoreStatements(options.Schema, options.TableName, PostgresSemaphoreStatements.ReaderWriterKind), provider))
    {
    }
}
