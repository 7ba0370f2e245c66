using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Coord.Locks.Postgres;

/// <summary>
/// Locks as rows of a PostgreSQL table: one row per name, never deleted, whose <c>fence</c> column only
/// grows. Acquire, renew and release are one statement each, timed by the server's
/// <c>clock_timestamp()</c> only. Waiters queue in arrival order in a second table; a release hands
/// the lock straight to the first live waiter and wakes only that waiter (in process when it waits in
/// the releaser's own process, else by one NOTIFY to its process), so a releaser that asks again at
/// once goes to the back of the queue.
/// </summary>
/// <remarks>
/// Holding a lock keeps no connection busy: each statement borrows a pooled connection for its one
/// round trip. The waiters of a process share one LISTEN connection per connection string, open only
/// while someone waits (see <see cref="PostgresLockListener"/>), and retry at the holder's
/// <c>expires_at</c> when no wake-up comes. Renew and release work by
/// holder token from any client. SQL: see <see cref="PostgresLockStatements"/>.
/// </remarks>
public sealed class PostgresLock : LockProvider, IPostgresWaitingLine
{
    private readonly PostgresLockOptions _options;
    private readonly PostgresDatabase _db;
    private readonly PostgresLockStatements _sql;

    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresLock(PostgresLockOptions options, ILogger<PostgresLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _sql = new PostgresLockStatements(options.Schema, options.TableName);
        _db = new PostgresDatabase(options, _sql.TablesExist, _sql.CreateSchema, Metrics, Logger);
    }

    /// <inheritdoc/>
    public override string Backend => "postgres";
    /// <inheritdoc/>
    public override string Endpoint => _db.Endpoint;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => new PostgresAttempt(request, this, _options.WaiterLease, Time).AcquireAsync(cancellationToken);

    PostgresDatabase IPostgresWaitingLine.Database => _db;

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _db.RenewAsync(_sql.Renew, name, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ((IPostgresWaitingLine)this).ReleaseTokenAsync(name, holderToken, cancellationToken);

    async Task<bool> IPostgresWaitingLine.ReleaseTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        try
        {
            return await ReleaseTokenAsync(name, holderToken, exclusive: false, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresLockStatements.MustExcludeQueueing)
        {
            // Nobody was in line but a queueing call was under way: free the lock only after it is done.
            return await ReleaseTokenAsync(name, holderToken, exclusive: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<bool> ReleaseTokenAsync(string name, string holderToken, bool exclusive, CancellationToken cancellationToken)
        => _db.ExecuteAsync("release", _sql.Release, async command =>
        {
            PostgresDatabase.Bind(command, name, holderToken);
            command.Parameters.Add(PostgresDatabase.ListenerParameter(_db.Listener.ProcessId));
            command.Parameters.Add(PostgresDatabase.Flag(exclusive));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || !reader.GetBoolean(0))
                return false;
            // The next holder waits in this process: the call sent no NOTIFY, so wake it here.
            if (!reader.IsDBNull(2) && reader.GetBoolean(3))
                _db.Listener.HandOffInProcess(reader.GetGuid(2).ToString("N"), reader.GetInt64(1));
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    protected override Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
        => _db.ExecuteAsync("status", _sql.Status, async command =>
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return new LockStatus(name, false, null, null);
            var held = reader.GetBoolean(0);
            TimeSpan? expiresIn = reader.IsDBNull(1) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new LockStatus(name, held, expiresIn, reader.GetInt64(2));
        }, cancellationToken);

    /// <summary>The first try of an acquire, one plain statement that queues nothing: the grant, or null.</summary>
    Task<LockGrant?> IPostgresWaitingLine.TakeAsync(LockRequest request, CancellationToken cancellationToken)
        => _db.ExecuteAsync("acquire", _sql.Take, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(PostgresDatabase.Milliseconds(request.Ttl));
            // Taken before sending, so the client's validity ends before the server's expires_at.
            var sent = Time.GetTimestamp();
            // A scalar, not a reader: one await instead of three on the path every uncontended hold takes.
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long fence ? new LockGrant(fence, sent) : (LockGrant?)null;
        }, cancellationToken);

    /// <summary>One call of the acquire function: take the lock, or (with <paramref name="queue"/>) take or refresh a place in line, or leave it.</summary>
    Task<PostgresAcquireCall> IPostgresWaitingLine.CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken)
        => _db.ExecuteAsync("acquire", _sql.Acquire, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(PostgresDatabase.Milliseconds(request.Ttl));
            command.Parameters.Add(PostgresDatabase.Milliseconds(_options.WaiterLease));
            command.Parameters.Add(PostgresDatabase.Flag(queue));
            command.Parameters.Add(PostgresDatabase.ListenerParameter(listener));
            var sent = Time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long? fence = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            var retryIn = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new PostgresAcquireCall(fence, retryIn, sent);
        }, cancellationToken);

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _db.DisposeAsync();
}
