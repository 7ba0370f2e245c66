using Coord.Locks.Postgres;
using Coord.Testing;
using Npgsql;

namespace Coord.Locks.Tests.Postgres;

/// <summary>The providers one test creates against a server (each with its own data source, like a separate process), disposed together when it ends.</summary>
public sealed class PostgresClients(PostgresServer server) : IAsyncDisposable
{
    private readonly List<PostgresLock> _created = [];

    /// <summary>A provider on <paramref name="server"/>; <paramref name="connection"/> adjusts its connection string, <paramref name="configure"/> its options.</summary>
    public PostgresLock Create(Action<NpgsqlConnectionStringBuilder>? connection = null, Action<PostgresLockOptions>? configure = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString);
        connection?.Invoke(builder);
        var options = new PostgresLockOptions { ConnectionString = builder.ConnectionString };
        configure?.Invoke(options);
        return Track(new PostgresLock(options));
    }

    /// <summary>Disposes <paramref name="client"/> with the rest.</summary>
    public PostgresLock Track(PostgresLock client)
    {
        lock (_created)
            _created.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        PostgresLock[] created;
        lock (_created)
            created = [.. _created];
        foreach (var client in created)
            await client.DisposeAsync();
    }
}
