using Npgsql;

namespace Coord.Stress.Servers;

/// <summary>
/// PostgreSQL <c>pg_stat_database.xact_commit</c> of the lock database, read from another database so the
/// reads do not count. A backend publishes what it counted when it exits, or when it goes idle at least
/// 1 s after it last published; a busier one keeps its counts until it has been idle for 10 s
/// (PostgreSQL 15's <c>PGSTAT_IDLE_INTERVAL</c>). So the pools this process made from connection strings
/// are cleared before a read (their backends exit and publish), and the read before the measured part
/// waits out that interval (<see cref="CountsLagBy"/>): the pools a provider builds itself, and those in
/// worker processes, stay open, and the last second of the warm-up's commits would otherwise be counted
/// inside the measured part (hundreds per acquisition in a scenario of long holds).
/// </summary>
public sealed class PostgresCommitCounter(string adminConnectionString, string database) : IServerCounter
{
    public string Kind => "postgres commits";

    public TimeSpan CountsLagBy => TimeSpan.FromSeconds(11);

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
