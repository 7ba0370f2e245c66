using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// Leases Snowflake worker ids from a PostgreSQL table with one row per (pool, worker id):
/// <c>owner uuid, expires_at timestamptz, last_timestamp_ms bigint</c>. A lease is taken with one
/// statement that picks the lowest free or expired row (<c>FOR UPDATE SKIP LOCKED</c>, so concurrent
/// starters never pick the same row), expiry comes from the server's clock, and the lease is renewed
/// every third of its duration. A dead owner stops renewing and its row frees itself.
/// </summary>
/// <remarks>
/// <c>last_timestamp_ms</c> is what the next owner must not go below. While a lease lives it holds a
/// reservation (the owner's clock plus the lease duration, since the owner may issue ids until its
/// lease runs out); a clean release replaces it by the exact last timestamp issued.
/// </remarks>
public sealed class PostgresWorkerIdLeaser : IWorkerIdLeaser, IWorkerIdLeaseStore
{
    private readonly PostgresWorkerIdOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _table;

    /// <summary>Creates the leaser; it connects on first use.</summary>
    /// <param name="options">Connection string, pool, table and lease timing; validated here.</param>
    /// <param name="timeProvider">Clock for lease timing and stored timestamps; null is the system clock.</param>
    /// <param name="logger">Where renewal failures are logged; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message says what is allowed.</exception>
    public PostgresWorkerIdLeaser(PostgresWorkerIdOptions options, TimeProvider? timeProvider = null, ILogger<PostgresWorkerIdLeaser>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _table = options.TableName;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds),
        };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        Endpoint = $"{builder.Host}:{builder.Port}";
    }

    /// <summary><c>host:port</c> of the database, for messages.</summary>
    public string Endpoint { get; }

    /// <inheritdoc/>
    public string Description => $"PostgreSQL {Endpoint} (table {_table}, pool '{_options.Pool}')";

    /// <summary>
    /// Leases the lowest free worker id in 0..<paramref name="maxWorkerId"/>. The lease renews itself until disposed.
    /// </summary>
    /// <inheritdoc/>
    public async Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxWorkerId);
        await EnsureRowsAsync(maxWorkerId, cancellationToken).ConfigureAwait(false);
        var owner = Guid.NewGuid();
        var sent = _time.GetTimestamp();
        var reserve = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_options.LeaseDuration.TotalMilliseconds;
        await using var command = _dataSource.CreateCommand($"""
            WITH pick AS (
                SELECT worker_id, last_timestamp_ms FROM {_table}
                WHERE pool = @pool AND worker_id <= @max AND (owner IS NULL OR expires_at <= clock_timestamp())
                ORDER BY worker_id LIMIT 1
                FOR UPDATE SKIP LOCKED)
            UPDATE {_table} AS t
               SET owner = @owner, expires_at = clock_timestamp() + @ttl,
                   last_timestamp_ms = GREATEST(t.last_timestamp_ms, @reserve), updated_at = clock_timestamp()
              FROM pick
             WHERE t.pool = @pool AND t.worker_id = pick.worker_id
            RETURNING t.worker_id, pick.last_timestamp_ms
            """);
        command.Parameters.AddWithValue("pool", _options.Pool);
        command.Parameters.AddWithValue("max", maxWorkerId);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("ttl", _options.LeaseDuration);
        command.Parameters.AddWithValue("reserve", reserve);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            throw new WorkerIdsExhaustedException(maxWorkerId + 1, _options.Pool, Description);
        var workerId = reader.GetInt32(0);
        var lastIssued = reader.GetInt64(1);
        _logger.LogInformation("Leased Snowflake worker id {WorkerId} of pool {Pool} on {Endpoint}; last stored timestamp {LastTimestampMs}.",
            workerId, _options.Pool, Endpoint, lastIssued);
        return new RenewingWorkerIdLease(this, workerId, owner, lastIssued, sent);
    }

    /// <summary>Closes the connection pool. Leases already handed out stop renewing and expire after <see cref="PostgresWorkerIdOptions.LeaseDuration"/>.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private Task EnsureRowsAsync(int maxWorkerId, CancellationToken cancellationToken)
        => SqlSchema.RunSerializedAsync(_dataSource, _table, $"""
            CREATE TABLE IF NOT EXISTS {_table} (
                pool text NOT NULL,
                worker_id int NOT NULL,
                owner uuid NULL,
                expires_at timestamptz NULL,
                last_timestamp_ms bigint NOT NULL DEFAULT 0,
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (pool, worker_id));
            INSERT INTO {_table} (pool, worker_id)
            SELECT @pool, g FROM generate_series(0, @max) AS g
            ON CONFLICT DO NOTHING;
            """, p =>
            {
                p.AddWithValue("pool", _options.Pool);
                p.AddWithValue("max", maxWorkerId);
            }, cancellationToken);

    TimeSpan IWorkerIdLeaseStore.LeaseDuration => _options.LeaseDuration;
    TimeProvider IWorkerIdLeaseStore.Time => _time;
    ILogger IWorkerIdLeaseStore.Logger => _logger;

    async Task<bool> IWorkerIdLeaseStore.RenewAsync(int workerId, Guid owner, long reserveUnixMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            UPDATE {_table} SET expires_at = clock_timestamp() + @ttl,
                   last_timestamp_ms = GREATEST(last_timestamp_ms, @reserve), updated_at = clock_timestamp()
             WHERE pool = @pool AND worker_id = @worker AND owner = @owner AND expires_at > clock_timestamp()
            """);
        command.Parameters.AddWithValue("ttl", _options.LeaseDuration);
        command.Parameters.AddWithValue("reserve", reserveUnixMs);
        command.Parameters.AddWithValue("pool", _options.Pool);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("owner", owner);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    async Task IWorkerIdLeaseStore.ReleaseAsync(int workerId, Guid owner, long lastIssuedUnixMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            UPDATE {_table} SET owner = NULL, expires_at = NULL,
                   last_timestamp_ms = @last, updated_at = clock_timestamp()
             WHERE pool = @pool AND worker_id = @worker AND owner = @owner
            """);
        command.Parameters.AddWithValue("last", lastIssuedUnixMs);
        command.Parameters.AddWithValue("pool", _options.Pool);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("owner", owner);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
