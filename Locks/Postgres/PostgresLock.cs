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

    public override string Backend => "postgres";
    public override string Endpoint { get; }

    /// <summary>The NOTIFY channel on which a release of this table says it freed a lock with nobody visibly queued (<c>schema.table</c>); hand-offs go to the waiter's own listener channel.</summary>
    public string NotificationChannel => _sql.Channel;

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var willWait = !request.WaitExpired && request.RemainingWait != TimeSpan.Zero;

        // Uncontended path, or no waiter of this process listens yet: one statement that does not queue.
        if (!willWait || !_listener.IsListening(_sql.Channel))
        {
            var first = await TryAsync(request, enqueue: false, listener: null, cancellationToken).ConfigureAwait(false);
            if (first.Fence is { } fence)
                return new LockGrant(fence, first.Sent);
            if (!willWait)
                return null;
        }

        var waiter = new PostgresWaiter(_sql.Channel, request.Name, request.HolderToken);
        using var membership = _listener.Join(waiter);
        await WaitUntilListeningAsync(membership, cancellationToken).ConfigureAwait(false);
        request.BackendState = QueuedMarker;
        return await WaitInLineAsync(request, waiter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues, then sleeps until a hand-off, a "free" message or a reconnect wakes the waiter, or until
    /// the holder's lease ends (the fallback), refreshing the place in line at least every third of its
    /// lease; when the wait runs out, leaves the line with <see cref="LeaveLineAsync"/>.
    /// </summary>
    private async Task<LockGrant?> WaitInLineAsync(LockRequest request, PostgresWaiter waiter, CancellationToken cancellationToken)
    {
        var refresh = Min(_options.WaiterLease / 3, request.Ttl / 3);
        long? lastSent = null;
        var outageBackoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            // The last attempt that found the lock not ours ran before any hand-off to us, so its send
            // time is a safe start for the lease the hand-off began (the releaser's clock_timestamp() is later).
            TimeSpan retryIn;
            try
            {
                var attempt = await TryAsync(request, enqueue: true, _listener.ProcessId, cancellationToken).ConfigureAwait(false);
                if (attempt.Fence is { } fence)
                    return new LockGrant(fence, attempt.Sent);
                lastSent = attempt.Sent;
                outageBackoff = TimeSpan.FromMilliseconds(100);
                retryIn = attempt.RetryIn is { } untilExpiry ? Min(untilExpiry + TimeSpan.FromMilliseconds(1), refresh) : refresh;
            }
            catch (NpgsqlException ex) when (lastSent is not null && IsConnectionLost(ex) && !request.WaitExpired)
            {
                // A waiter already in line rides out a server restart until its wait runs out; the
                // listener's reconnect wakes it as soon as the server is back.
                Logger.LogDebug(ex, "Waiting for lock {LockName}: PostgreSQL unreachable, trying again in {Backoff} ms", request.Name, outageBackoff.TotalMilliseconds);
                retryIn = outageBackoff;
                outageBackoff = Min(outageBackoff * 2, TimeSpan.FromSeconds(2));
            }

            if (!request.WaitExpired)
                await waiter.Signal.WaitAsync(request.NextWakeUp(retryIn), Time, cancellationToken).ConfigureAwait(false);
            if (waiter.HandedOffFence is { } handedOff)
                return new LockGrant(handedOff, lastSent ?? request.StartedTimestamp);
            if (request.WaitExpired)
                return await LeaveLineAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The last step of a wait that ran out: one statement that takes our queue entry out under the
    /// name's row lock, and returns the lock instead when a release handed it to us meanwhile (or it
    /// is free with nobody ahead). Giving the hand-off back instead would leave a fencing token that
    /// no client ever saw; and the statement that decides it sees every hand-off that committed before
    /// it, while no later release can pick the entry it took out.
    /// </summary>
    private async Task<LockGrant?> LeaveLineAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var last = await TryAsync(request, enqueue: false, listener: null, cancellationToken).ConfigureAwait(false);
        request.BackendState = null; // out of the line, and the lock is either ours or not handed to us: nothing to abandon
        return last.Fence is { } fence ? new LockGrant(fence, last.Sent) : null;
    }

    private async Task WaitUntilListeningAsync(PostgresLockListener.Membership membership, CancellationToken cancellationToken)
    {
        using var listenBound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        listenBound.CancelAfter(Options.ConnectTimeout);
        try
        {
            await membership.Ready.WaitAsync(listenBound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The LISTEN connection for lock table '{_sql.Channel}' did not come up within {Options.ConnectTimeout.TotalMilliseconds:0} ms.");
        }
    }

    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        // Only a waiter still in line (and so perhaps handed the lock) has anything to undo. The release
        // statement locks the row first, so it also gives back a hand-off that committed a moment ago.
        if (!ReferenceEquals(request.BackendState, QueuedMarker))
            return;
        await ReleaseCoreAsync(request.Name, request.HolderToken, cancellationToken).ConfigureAwait(false);
    }

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

    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync("release", _sql.Release, async command =>
        {
            Bind(command, name, holderToken);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = _sql.Channel });
            command.Parameters.Add(ListenerParameter(_listener.ProcessId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return false;
            // The next holder waits in this process: the statement sent no NOTIFY, so wake it here.
            if (reader.GetBoolean(2))
                _listener.HandOffInProcess(reader.GetGuid(1).ToString("N"), reader.GetInt64(0));
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

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

    private async Task<Attempt> TryAsync(LockRequest request, bool enqueue, int? listener, CancellationToken cancellationToken)
    {
        long sent = 0;
        return await ExecuteAsync("acquire", _sql.Acquire, async command =>
        {
            Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(request.Ttl) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = Milliseconds(_options.WaiterLease) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = enqueue });
            command.Parameters.Add(ListenerParameter(listener));
            // Taken before sending, so the client's validity ends before the server's expires_at.
            sent = Time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long? fence = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            TimeSpan? retryIn = reader.IsDBNull(1) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new Attempt(fence, retryIn, sent);
        }, cancellationToken).ConfigureAwait(false);
    }

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

    private static bool IsConnectionLost(NpgsqlException ex) => ex switch
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
            // One batch = one implicit transaction, so the advisory lock covers every CREATE in it:
            // processes starting at once create the tables one after another instead of colliding.
            if (!exists)
            {
                await ExecuteAsync("schema", _sql.CreateSchema, async command =>
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
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

    protected override async ValueTask DisposeCoreAsync()
    {
        await _listener.ReturnAsync().ConfigureAwait(false);
        if (_ownsDataSource)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }

    private static readonly object QueuedMarker = new();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct Attempt(long? Fence, TimeSpan? RetryIn, long Sent);
}
