using Coord.Testing;

namespace Coord.Ids.Tests;

/// <summary>One throwaway PostgreSQL server per test class; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync("ids-postgres");

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"ids_{Interlocked.Increment(ref _databases)}");

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
