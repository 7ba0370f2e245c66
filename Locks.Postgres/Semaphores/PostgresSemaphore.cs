using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

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
public sealed class PostgresSemaphore : SemaphoreProvider, IPostgresWaitingLine
{
    private readonly PostgresLockOptions _options;
    private readonly PostgresDatabase _db;
    private readonly PostgresSemaphoreStatements _sql;

    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings, as for <see cref="PostgresLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresSemaphore(PostgresLockOptions options, ILogger<PostgresSemaphore>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _sql = new PostgresSemaphoreStatements(options.Schema, options.TableName);
        _db = new PostgresDatabase(options, _sql.TablesExist, _sql.CreateSchema, Metrics, Logger);
    }

    /// <inheritdoc/>
    public override string Backend => "postgres";

    /// <inheritdoc/>
    public override string Endpoint => _db.Endpoint;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => new PostgresAttempt(request, this, _options.WaiterLease, Time).AcquireAsync(cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _db.RenewAsync(_sql.Renew, name, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ((IPostgresWaitingLine)this).ReleaseTokenAsync(name, holderToken, cancellationToken);

    Task<bool> IPostgresWaitingLine.ReleaseTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
        => _db.ExecuteAsync("release", _sql.Release, async command =>
        {
            PostgresDatabase.Bind(command, name, holderToken);
            command.Parameters.Add(PostgresDatabase.ListenerParameter(_db.Listener.ProcessId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return false;
            HandOverInProcess(reader, 1);
            return reader.GetBoolean(0);
        }, cancellationToken);

    async Task<LockGrant?> IPostgresWaitingLine.TakeAsync(LockRequest request, CancellationToken cancellationToken)
    {
        // The acquire function without a place in line: a permit when one is free and nobody live waits.
        var call = await CallAcquireAsync(request, queue: false, _db.Listener.ProcessId, cancellationToken).ConfigureAwait(false);
        return call.Fence is { } fence ? new LockGrant(fence, call.Sent) : null;
    }

    Task<PostgresAcquireCall> IPostgresWaitingLine.CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken)
        => CallAcquireAsync(request, queue, listener, cancellationToken);

    PostgresDatabase IPostgresWaitingLine.Database => _db;

    /// <summary>One call of the acquire function; throws <see cref="SemaphoreCountMismatchException"/> when the name is in use with another count.</summary>
    private Task<PostgresAcquireCall> CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken)
        => _db.ExecuteAsync("acquire", _sql.Acquire, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(PostgresDatabase.Milliseconds(request.Ttl));
            command.Parameters.Add(PostgresDatabase.Milliseconds(_options.WaiterLease));
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = request.MaxHolders });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = queue });
            command.Parameters.Add(PostgresDatabase.ListenerParameter(listener));
            // Taken before sending, so the client's validity ends before the server's expires_at.
            var sent = Time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            HandOverInProcess(reader, 3);
            if (!reader.IsDBNull(2))
                throw new SemaphoreCountMismatchException(request.Name, Backend, Endpoint, request.MaxHolders, reader.GetInt32(2));
            long? fence = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            var retryIn = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new PostgresAcquireCall(fence, retryIn, sent);
        }, cancellationToken);

    /// <summary>Wakes the waiters of this process that the call just gave permits to (tokens and fences in two array columns from <paramref name="column"/>), which no NOTIFY told.</summary>
    private void HandOverInProcess(NpgsqlDataReader reader, int column)
    {
        if (reader.IsDBNull(column))
            return;
        var tokens = reader.GetFieldValue<Guid[]>(column);
        var fences = reader.GetFieldValue<long[]>(column + 1);
        for (var i = 0; i < tokens.Length; i++)
            _db.Listener.HandOffInProcess(tokens[i].ToString("N"), fences[i]);
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _db.DisposeAsync();
}
