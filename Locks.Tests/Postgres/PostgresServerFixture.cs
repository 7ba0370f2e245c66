using System.Diagnostics;
using Coord.Testing;
using Npgsql;

namespace Coord.Locks.Tests.Postgres;

/// <summary>One throwaway PostgreSQL server per test class, plus a raw data source for reaching behind a holder's back.</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;
    public NpgsqlDataSource Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync();
        // Unpooled, so it keeps working after a test restarts the server.
        Raw = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Pooling = false }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>Runs <paramref name="sql"/> with positional parameters and returns the rows affected.</summary>
    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Raw.CreateCommand(sql);
        foreach (var p in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="sql"/> and returns the first column of the first row.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Raw.CreateCommand(sql);
        foreach (var p in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Runs one call of a lock or semaphore function in a transaction of its own and reads, before the commit,
    /// the transaction's <c>synchronous_commit</c>: "off" when the call let its commit skip the WAL flush.
    /// Returns that with whether the call held or released: the first column of its row is true, or a fence.
    /// A DBNull parameter is an integer null (a listener pid).
    /// </summary>
    public async Task<(bool HeldOrReleased, string SynchronousCommit)> CallInTransactionAsync(string sql, params object[] parameters)
    {
        await using var connection = await Raw.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        bool heldOrReleased;
        await using (var call = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var p in parameters)
                call.Parameters.Add(p is DBNull ? new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = p } : new NpgsqlParameter { Value = p });
            await using var reader = await call.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), "the call returned no row");
            heldOrReleased = !reader.IsDBNull(0) && reader.GetValue(0) is true or long;
        }
        await using var setting = new NpgsqlCommand("SELECT current_setting('synchronous_commit')", connection, transaction);
        var synchronousCommit = (string)(await setting.ExecuteScalarAsync())!;
        await transaction.CommitAsync();
        return (heldOrReleased, synchronousCommit);
    }

    /// <summary>Waits (up to 30 s) until <paramref name="count"/> waiters of <paramref name="name"/> are queued in the default table.</summary>
    public Task WaitForQueuedAsync(string name, long count)
        => WaitUntilAsync(async () => await ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = $1", name) == count, $"{count} queued waiters of '{name}'");

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
