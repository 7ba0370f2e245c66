using Coord.Locks.Postgres;
using Coord.Testing;
using Npgsql;

namespace Coord.Stress.Servers;

/// <summary>
/// The run's PostgreSQL server (Coord.Testing's settings: fsync=off, full_page_writes=off) with the lock database,
/// and what every target on it needs: the lock database's connection string, Coord's options, the commit counter.
/// </summary>
public sealed class StressPostgres : IStressServer
{
    public const string Database = "coord_stress";

    private readonly PostgresServer? _owned;

    private StressPostgres(string connectionString, string admin, PostgresServer? owned)
    {
        ConnectionString = connectionString;
        Admin = admin;
        _owned = owned;
    }

    /// <summary>Npgsql connection string of the lock database.</summary>
    public string ConnectionString { get; }

    /// <summary>Another database on the same server, for reading statistics without adding to them.</summary>
    public string Admin { get; }

    public string? Started => _owned is null ? null : $"postgres {_owned.Endpoint}";

    /// <summary>The lock database at <paramref name="given"/>, else a throwaway server started now with a database <see cref="Database"/>.</summary>
    public static async Task<StressPostgres> StartAsync(string? given, CancellationToken cancellationToken)
    {
        if (given is not null)
            return new(given, new NpgsqlConnectionStringBuilder(given) { Database = "postgres", Pooling = false }.ConnectionString, null);
        var server = await PostgresServer.StartAsync("stress-postgres", cancellationToken).ConfigureAwait(false);
        var locks = await StressServers.ThenAsync(server, () => server.CreateDatabaseAsync(Database, cancellationToken)).ConfigureAwait(false);
        // Enough pooled connections for 32 clients of each library plus their listeners.
        locks = new NpgsqlConnectionStringBuilder(locks) { MaxPoolSize = 200 }.ConnectionString;
        return new(locks, new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString, server);
    }

    public PostgresLockOptions Options() => new() { ConnectionString = ConnectionString };

    public IReadOnlyList<IServerCounter> Counters() => [new PostgresCommitCounter(Admin, Database)];

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_owned is not null)
            await _owned.DisposeAsync().ConfigureAwait(false);
    }
}
