using Npgsql;
using NpgsqlTypes;

namespace Coord.Locks.Postgres;

/// <summary>
/// The engine of every PostgreSQL primitive built on the semaphore's holds (<see cref="PostgresSemaphore"/>,
/// <see cref="PostgresReaderWriterLock"/>, and <see cref="PostgresLeaderElection"/>'s candidates through
/// <see cref="PostgresCandidates"/>): one database side with its shared
/// listener, the tables of one kind (<see cref="PostgresSemaphoreStatements"/>) and the waiting line that
/// <see cref="PostgresAttempt"/> drives. The primitives differ only in the kind they pass and the requests they make
/// (<see cref="LockRequest.MaxHolders"/>, <see cref="LockRequest.IsShared"/>).
/// </summary>
internal sealed class PostgresHolds : IPostgresWaitingLine, IHoldEngine
{
    /// <summary>The backend name of every PostgreSQL primitive on this engine.</summary>
    public const string Backend = "postgres";

    private readonly PostgresLockOptions _options;
    private readonly PostgresDatabase _db;
    private readonly TimeProvider _time;

    /// <param name="options">The provider's validated options.</param>
    /// <param name="statements">The engine's statements over the tables of the primitive's kind.</param>
    /// <param name="provider">The provider's metrics (every statement counts as one request), clock and logger.</param>
    /// <param name="extraSchema">DDL the primitive needs beside the engine's tables (run after them), or null.</param>
    /// <param name="extraTablesExist">A condition (SQL) that is true when that DDL has run, or null.</param>
    public PostgresHolds(PostgresLockOptions options, PostgresSemaphoreStatements statements, HoldEngineServices provider, string? extraSchema = null, string? extraTablesExist = null)
    {
        _options = options;
        _time = provider.Time;
        Statements = statements;
        var tablesExist = extraTablesExist is null ? Statements.TablesExist : Statements.TablesExist + " AND " + extraTablesExist;
        var createSchema = extraSchema is null ? Statements.CreateSchema : Statements.CreateSchema + "\n" + extraSchema;
        _db = new PostgresDatabase(options, tablesExist, createSchema, provider.Metrics, provider.Logger);
    }

    public string Endpoint => _db.Endpoint;

    // As for PostgresLock, the provider bounds each call with a timer of its own.
    public bool BoundsEveryCall => false;

    public PostgresSemaphoreStatements Statements { get; }

    public PostgresDatabase Database => _db;

    public Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => new PostgresAttempt(request, this, _options.WaiterLease, _time).AcquireAsync(cancellationToken);

    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _db.RenewAsync(Statements.Renew, name, holderToken, ttl, cancellationToken);

    public Task<bool> ReleaseTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
        => _db.ExecuteAsync("release", Statements.Release, async command =>
        {
            PostgresDatabase.Bind(command, name, holderToken);
            command.Parameters.Add(PostgresDatabase.ListenerParameter(_db.Listener.ProcessId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return false;
            HandOverInProcess(reader, 1);
            return reader.GetBoolean(0);
        }, cancellationToken);

    Task<bool> IHoldEngine.ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ReleaseTokenAsync(name, holderToken, cancellationToken);

    public async Task<LockGrant?> TakeAsync(LockRequest request, CancellationToken cancellationToken)
    {
        // The acquire function without a place in line: a hold when one fits and nobody live waits.
        var call = await CallAcquireAsync(request, queue: false, _db.Listener.ProcessId, cancellationToken).ConfigureAwait(false);
        return call.Fence is { } fence ? new LockGrant(fence, call.Sent) : null;
    }

    /// <summary>One call of the acquire function; throws <see cref="SemaphoreCountMismatchException"/> when the name is in use with another count.</summary>
    public Task<PostgresAcquireCall> CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken)
        => _db.ExecuteAsync("acquire", Statements.Acquire, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(PostgresDatabase.Milliseconds(request.Ttl));
            command.Parameters.Add(PostgresDatabase.Milliseconds(_options.WaiterLease));
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = request.MaxHolders });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = request.IsShared });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = queue });
            command.Parameters.Add(PostgresDatabase.ListenerParameter(listener));
            // Taken before sending, so the client's validity ends before the server's expires_at.
            var sent = _time.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            HandOverInProcess(reader, 3);
            if (!reader.IsDBNull(2))
                throw new SemaphoreCountMismatchException(request.Name, Backend, Endpoint, request.MaxHolders, reader.GetInt32(2));
            long? fence = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            var retryIn = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(reader.GetInt64(1));
            return new PostgresAcquireCall(fence, retryIn, sent);
        }, cancellationToken);

    /// <summary>Wakes the waiters of this process that the call just gave holds to (tokens and fences in two array columns from <paramref name="column"/>), which no NOTIFY told.</summary>
    private void HandOverInProcess(NpgsqlDataReader reader, int column)
    {
        if (reader.IsDBNull(column))
            return;
        var tokens = reader.GetFieldValue<Guid[]>(column);
        var fences = reader.GetFieldValue<long[]>(column + 1);
        for (var i = 0; i < tokens.Length; i++)
            _db.Listener.HandOffInProcess(tokens[i].ToString("N"), fences[i]);
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
