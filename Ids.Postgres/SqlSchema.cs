using Npgsql;

namespace Coord.Ids;

/// <summary>Runs schema set-up statements in one transaction, serialized across processes.</summary>
internal static class SqlSchema
{
    public static async Task RunSerializedAsync(NpgsqlDataSource dataSource, string table, string sql,
        Action<NpgsqlParameterCollection>? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog; an advisory lock serializes it.
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@name))", connection, transaction))
        {
            gate.Parameters.AddWithValue("name", "coord:" + table);
            await gate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            parameters?.Invoke(command.Parameters);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
