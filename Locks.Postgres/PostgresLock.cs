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
public sealed class PostgresLock : LockProvider
{
    private readonly PostgresLockOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresLockStatements _sql;
    private readonly PostgresLockListener _listener;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

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
        _ownsDataSource = options.DataSource is null;
        _dataSource = options.DataSource ?? CreateDataSource(options.ConnectionString!);
        _sql = new PostgresLockStatements(options.Schema, options.TableName);
        _schemaReady = !options.CreateSchema;
        var builder = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
        Endpoint = $"{builder.Host}:{builder.Port}/{builder.Database}";
        _listener = PostgresLockListener.Rent(options.DataSource is null ? options.ConnectionString : null, options.DataSource, Logger);
    }

    /// <inheritdoc/>
    public override string Backend => "postgres";
    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <inheritdoc/>
    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await new PostgresAttempt(request, this, _listener, _options.WaiterLease, Time).AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task WaitUntilListeningAsync(Task ready, CancellationToken cancellationToken)
    {
        using var listenBound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        listenBound.CancelAfter(Options.ConnectTimeout);
        try
        {
            await ready.WaitAsync(listenBound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The LISTEN connection for PostgreSQL locks at {Endpoint} did not come up within {Options.ConnectTimeout.TotalMilliseconds:0} ms.");
        }
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync("renew", _sql.Renew, async command =>
        {
            Bind(command, name, holderToken);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(ttl) });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves the line and, when the token holds the lock, hands it on: true when it held.</summary>
    internal async Task<bool> ReleaseTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
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
        => ExecuteAsync("release", _sql.Release, async command =>
        {
            Bind(command, name, holderToken);
            command.Parameters.Add(ListenerParameter(_listener.ProcessId));
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = exclusive });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || !reader.GetBoolean(0))
                return false;
            // The next holder waits in this process: the call sent no NOTIFY, so wake it here.
            if (!reader.IsDBNull(2) && reader.GetBoolean(3))
                _listener.HandOffInProcess(reader.GetGuid(2).ToString("N"), reader.GetInt64(1));
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync("status", _sql.Status, async command =>
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = name });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return new LockStatus(name, false, null, null);
            var held = reader.GetBoolean(0);
            TimeSpan? expiresIn = reader.IsDBNull(1) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new LockStatus(name, held, expiresIn, reader.GetInt64(2));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first try of an acquire, one plain statement that queues nothing: the grant, or null.</summary>
    internal Task<LockGrant?> TakeAsync(LockRequest request, CancellationToken cancellationToken)
        => ExecuteAsync("acquire", _sql.Take, async command =>
        {
            Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(request.Ttl) });
            // Taken before sending, so the client's validity ends before the server's expires_at.
            var sent = Time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? new LockGrant(reader.GetInt64(0), sent) : (LockGrant?)null;
        }, cancellationToken);

    /// <summary>One call of the acquire function: take the lock, or (with <paramref name="queue"/>) take or refresh a place in line, or leave it.</summary>
    internal Task<AcquireCall> CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken)
        => ExecuteAsync("acquire", _sql.Acquire, async command =>
        {
            Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(request.Ttl) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(_options.WaiterLease) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = queue });
            command.Parameters.Add(ListenerParameter(listener));
            var sent = Time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long? fence = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            var retryIn = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new AcquireCall(fence, retryIn, sent);
        }, cancellationToken);

    /// <summary>
    /// Runs one statement on a pooled connection, counting it as one request. A pooled connection that
    /// died with the server (restart, failover) fails on first use; the pool is then cleared and the
    /// statement sent once more. Every statement here is safe to repeat: acquire by the same token
    /// returns the same fence, renew and release only touch the token's own row.
    /// </summary>
    private async Task<T> ExecuteAsync<T>(string operation, string sql, Func<NpgsqlCommand, Task<T>> run, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Metrics.Request(operation);
            try
            {
                await using var command = _dataSource.CreateCommand(sql);
                return await run(command).ConfigureAwait(false);
            }
            catch (NpgsqlException ex) when (attempt == 1 && IsConnectionLost(ex) && !cancellationToken.IsCancellationRequested)
            {
                Logger.LogDebug(ex, "A pooled PostgreSQL connection failed during {Operation}; clearing the pool and trying once more", operation);
                _dataSource.Clear();
            }
        }
    }

    internal static bool IsConnectionLost(NpgsqlException ex) => ex switch
    {
        // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception class.
        PostgresException pg => pg.SqlState is "57P01" or "57P02" or "57P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        // Not a server error: the socket itself failed (reset, end of stream).
        _ => ex.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException,
    };

    private async ValueTask EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
            return;
        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
                return;
            // Where the tables exist, nothing is created: CREATE SCHEMA IF NOT EXISTS would still need
            // the CREATE privilege, which an application's role often lacks.
            var exists = await ExecuteAsync("schema", _sql.TablesExist, async command =>
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true, cancellationToken).ConfigureAwait(false);
            if (!exists)
                await CreateSchemaAsync(cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    /// <summary>
    /// Creates the tables and functions under the schema advisory lock, looking again once it is held:
    /// processes starting at once all see "missing", and one that ran the DDL after another had created
    /// everything would take ALTER TABLE's exclusive lock while the first already uses the tables (a deadlock).
    /// The lock is a session lock so that the second look runs in a transaction of its own: a transaction
    /// that began before the other creator committed keeps its stale "missing" catalog lookups.
    /// </summary>
    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        Metrics.Request("schema");
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresLockStatements.SchemaLockKey})", connection);
            await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A wait cancelled just as the lock was granted would leave it on a pooled connection: close them instead.
            NpgsqlConnection.ClearPool(connection);
            throw;
        }
        try
        {
            await using (var check = new NpgsqlCommand(_sql.TablesExist, connection))
            {
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                    return;
            }
            await using var create = new NpgsqlCommand(_sql.CreateSchema, connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not cancellable: the pooled connection must not go back still holding the session lock.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresLockStatements.SchemaLockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        // Every statement here leaves no session state behind, so the DISCARD ALL that Npgsql would
        // otherwise run before each reuse of a pooled connection is pure overhead (a second statement).
        // The same five statements run over and over: prepared on each connection, they skip parse and plan.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 8;
            builder.AutoPrepareMinUsages = 2;
        }
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    private static void Bind(NpgsqlCommand command, string name, string holderToken)
    {
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = name });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = ToUuid(holderToken) });
    }

    /// <summary>
    /// Holder tokens are 32 hex characters, stored as uuid. Any other string (a caller's wrong token)
    /// becomes the nil uuid, which no holder ever has, so it matches nothing.
    /// </summary>
    private static Guid ToUuid(string holderToken)
        => Guid.TryParseExact(holderToken, "N", out var uuid) ? uuid : Guid.Empty;

    private static NpgsqlParameter ListenerParameter(int? processId)
        => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = processId is { } pid ? pid : DBNull.Value };

    private static long Milliseconds(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        await _listener.ReturnAsync().ConfigureAwait(false);
        if (_ownsDataSource)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }

    /// <summary>What one call of the acquire function found: the fence when held, else how long until it is worth asking again; and when it was sent.</summary>
    internal readonly record struct AcquireCall(long? Fence, TimeSpan RetryIn, long Sent);
}
