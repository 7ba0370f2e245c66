using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Coord.Locks.Postgres;

/// <summary>
/// What every PostgreSQL provider (<see cref="PostgresLock"/>, <see cref="PostgresSemaphore"/>) does around
/// its own SQL: a data source whose pooled connections each statement borrows for one round trip, one retry
/// after a connection died with the server, creation of the provider's tables and functions on first use,
/// the process's shared LISTEN connection for its waiters, and the parameter forms the statements share.
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly LockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _tablesExist;
    private readonly string _createSchema;
    private readonly TimeSpan _connectTimeout;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    /// <param name="options">The provider's validated options: connection, whether to create the schema.</param>
    /// <param name="tablesExist">A query returning true when every table and function the provider calls exists.</param>
    /// <param name="createSchema">The idempotent DDL that creates them.</param>
    /// <param name="metrics">Where each statement is counted as one request.</param>
    /// <param name="logger">The provider's logger.</param>
    public PostgresDatabase(PostgresLockOptions options, string tablesExist, string createSchema, LockMetrics metrics, ILogger logger)
    {
        _ownsDataSource = options.DataSource is null;
        _dataSource = options.DataSource ?? CreateDataSource(options.ConnectionString!);
        _tablesExist = tablesExist;
        _createSchema = createSchema;
        _metrics = metrics;
        _logger = logger;
        _schemaReady = !options.CreateSchema;
        _connectTimeout = options.ConnectTimeout;
        Listener = PostgresLockListener.Rent(options, logger);
        var builder = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
        Endpoint = $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <summary><c>host:port/database</c>, for error messages.</summary>
    public string Endpoint { get; }

    /// <summary>The process's LISTEN connection for this connection string, rented for the provider's life.</summary>
    public PostgresLockListener Listener { get; }

    /// <summary>A pooled connection of the caller's own, for a LISTEN that is not a waiter's (an election's observer); the caller disposes it.</summary>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Runs one statement on a pooled connection, counting it as one request. A pooled connection that
    /// died with the server (restart, failover) fails on first use; the pool is then cleared and the
    /// statement sent once more. Every statement of the providers is safe to repeat: acquire by the same
    /// token returns the same fence, renew and release only touch the token's own rows.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string operation, string sql, Func<NpgsqlCommand, Task<T>> run, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteUncheckedAsync(operation, sql, run, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> ExecuteUncheckedAsync<T>(string operation, string sql, Func<NpgsqlCommand, Task<T>> run, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            _metrics.Request(operation);
            try
            {
                await using var command = _dataSource.CreateCommand(sql);
                return await run(command).ConfigureAwait(false);
            }
            catch (NpgsqlException ex) when (attempt == 1 && IsConnectionLost(ex) && !cancellationToken.IsCancellationRequested)
            {
                _logger.LogDebug(ex, "A pooled PostgreSQL connection failed during {Operation}; clearing the pool and trying once more", operation);
                _dataSource.Clear();
            }
        }
    }

    /// <summary>True when <paramref name="ex"/> means the connection (not the statement) failed: worth one more try on a fresh one.</summary>
    public static bool IsConnectionLost(NpgsqlException ex) => ex switch
    {
        // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception class.
        PostgresException pg => pg.SqlState is "57P01" or "57P02" or "57P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        // Not a server error: the socket itself failed (reset, end of stream).
        _ => ex.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException,
    };

    /// <summary>Waits until the listener connection LISTENs (<paramref name="ready"/>), bounded by the connect timeout.</summary>
    public async Task WaitUntilListeningAsync(Task ready, CancellationToken cancellationToken)
    {
        var connectTimeout = _connectTimeout;
        using var listenBound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        listenBound.CancelAfter(connectTimeout);
        try
        {
            await ready.WaitAsync(listenBound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The LISTEN connection for PostgreSQL locks at {Endpoint} did not come up within {connectTimeout.TotalMilliseconds:0} ms.");
        }
    }

    /// <summary>Runs a renew statement (<c>$1</c> name, <c>$2</c> holder token, <c>$3</c> TTL in ms): true when it extended the one hold.</summary>
    public Task<bool> RenewAsync(string renewSql, string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => ExecuteAsync("renew", renewSql, async command =>
        {
            Bind(command, name, holderToken);
            command.Parameters.Add(Milliseconds(ttl));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

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
            var exists = await ExecuteUncheckedAsync("schema", _tablesExist, async command =>
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
        _metrics.Request("schema");
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
            await using (var check = new NpgsqlCommand(_tablesExist, connection))
            {
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                    return;
            }
            await using var create = new NpgsqlCommand(_createSchema, connection);
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
        // The same few statements run over and over: prepared on each connection, they skip parse and plan.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 8;
            builder.AutoPrepareMinUsages = 2;
        }
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>Adds the name and holder token, the first two parameters of most statements.</summary>
    /// <remarks>Typed parameters throughout: every hold sends several, and an untyped one boxes its value.</remarks>
    public static void Bind(NpgsqlCommand command, string name, string holderToken)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
        command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = ToUuid(holderToken) });
    }

    /// <summary>
    /// Holder tokens are 32 hex characters, stored as uuid. Any other string (a caller's wrong token)
    /// becomes the nil uuid, which no holder ever has, so it matches nothing.
    /// </summary>
    public static Guid ToUuid(string holderToken)
        => Guid.TryParseExact(holderToken, "N", out var uuid) ? uuid : Guid.Empty;

    /// <summary>A listener's backend pid, or SQL null when the process has no listener connection.</summary>
    public static NpgsqlParameter ListenerParameter(int? processId)
        => processId is { } pid
            ? new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = pid }
            : new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = DBNull.Value };

    /// <summary>A whole number of milliseconds as a bigint parameter, rounded up so a lease is never shorter than asked.</summary>
    public static NpgsqlParameter Milliseconds(TimeSpan span)
        => new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = (long)Math.Ceiling(span.TotalMilliseconds) };

    /// <summary>A boolean parameter.</summary>
    public static NpgsqlParameter Flag(bool value) => new NpgsqlParameter<bool> { NpgsqlDbType = NpgsqlDbType.Boolean, TypedValue = value };

    public async ValueTask DisposeAsync()
    {
        await Listener.ReturnAsync().ConfigureAwait(false);
        if (_ownsDataSource)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }
}
