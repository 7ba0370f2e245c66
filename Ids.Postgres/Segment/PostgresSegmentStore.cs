using Npgsql;

namespace Coord.Ids.Segment;

/// <summary>
/// Segments from a PostgreSQL table with Leaf's <c>leaf_alloc</c> columns
/// (<c>biz_tag varchar(128) primary key, max_id bigint, step int, description varchar(256), update_time timestamp</c>).
/// Each allocation is one <c>UPDATE … RETURNING</c>, atomic under concurrency from any number of processes.
/// </summary>
public sealed class PostgresSegmentStore : ISegmentStore, IAsyncDisposable
{
    private readonly PostgresSegmentStoreOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private readonly string _table;
    private volatile bool _schemaReady;

    /// <summary>Creates the store; it connects on first use.</summary>
    /// <param name="options">Connection string, table and timeouts; validated here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range.</exception>
    public PostgresSegmentStore(PostgresSegmentStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _table = options.TableName;
        var seconds = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { CommandTimeout = seconds, Timeout = seconds };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        Description = $"PostgreSQL {builder.Host}:{builder.Port} table {_table}";
        _schemaReady = !options.CreateTable;
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public Task<SegmentAllocation?> AllocateAsync(string tag, int? step, CancellationToken cancellationToken)
        => WithRetryAsync(async ct =>
        {
            await EnsureSchemaAsync(ct).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand($"""
                UPDATE {_table} SET max_id = max_id + COALESCE(@step, step), update_time = LOCALTIMESTAMP
                 WHERE biz_tag = @tag
                RETURNING max_id, COALESCE(@step, step), step
                """);
            command.Parameters.AddWithValue("tag", tag);
            command.Parameters.Add(new NpgsqlParameter<int?>("step", NpgsqlTypes.NpgsqlDbType.Integer) { TypedValue = step });
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                    return (SegmentAllocation?)null;
                return new SegmentAllocation(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2));
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.NumericValueOutOfRange)
            {
                throw new InvalidOperationException(
                    $"Segment tag '{tag}' has run out of ids: its max_id plus a step of {(step is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "its stored step")} would pass {long.MaxValue}, the largest bigint.", ex);
            }
        }, cancellationToken);

    /// <inheritdoc/>
    public Task CreateTagAsync(string tag, int step, string? description, CancellationToken cancellationToken)
        => WithRetryAsync(async ct =>
        {
            await EnsureSchemaAsync(ct).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand($"""
                INSERT INTO {_table} (biz_tag, max_id, step, description, update_time)
                VALUES (@tag, 1, @step, @description, LOCALTIMESTAMP)
                ON CONFLICT (biz_tag) DO NOTHING
                """);
            command.Parameters.AddWithValue("tag", tag);
            command.Parameters.AddWithValue("step", step);
            command.Parameters.AddWithValue("description", (object?)description ?? DBNull.Value);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Creates the table if it is missing (Leaf's columns, PostgreSQL types).</summary>
    /// <param name="cancellationToken">Cancels the statement.</param>
    /// <returns>A task that completes once the table exists.</returns>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        if (_schemaReady)
            return;
        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
                return;
            await SqlSchema.RunSerializedAsync(_dataSource, _table, $"""
                CREATE TABLE IF NOT EXISTS {_table} (
                    biz_tag varchar(128) NOT NULL PRIMARY KEY,
                    max_id bigint NOT NULL DEFAULT 1,
                    step int NOT NULL,
                    description varchar(256) NULL,
                    update_time timestamp NOT NULL DEFAULT LOCALTIMESTAMP)
                """, null, cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    /// <summary>Closes the connection pool.</summary>
    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }

    // After a server restart the pool holds dead connections; drop them and try once more so a
    // recovered database serves the next request instead of failing it.
    private async Task<T> WithRetryAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException && !cancellationToken.IsCancellationRequested)
        {
            _dataSource.Clear();
            return await action(cancellationToken).ConfigureAwait(false);
        }
    }
}
