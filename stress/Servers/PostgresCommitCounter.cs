using Npgsql;

namespace Coord.Stress.Servers;

/// <summary>
/// PostgreSQL <c>pg_stat_database.xact_commit</c> of the lock database, read from another database so the
/// reads do not count. Backends publish their statistics when they go idle or exit, so the pools are
/// cleared before a read: every connection that did lock work exits and flushes what it counted.
/// </summary>
public sealed class PostgresCommitCounter(string adminConnectionString, string database) : IServerCounter
{
    public string Kind => "postgres commits";

    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = database } },
        };
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is long n ? n : 0;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
