using Coord.Locks.Tests.Postgres;

namespace Coord.Client.Tests.Infrastructure;

/// <summary>A throwaway PostgreSQL server and the service over it; <see cref="Postgres"/> reaches behind the service's back.</summary>
public sealed class ServiceOnPostgresFixture : ServiceFixture
{
    public PostgresServerFixture Postgres { get; } = new();

    protected override async Task<(string Type, IReadOnlyDictionary<string, string> Settings)> StartBackendAsync()
    {
        await Postgres.InitializeAsync();
        return ("postgres", new Dictionary<string, string> { ["ConnectionString"] = Postgres.Server.ConnectionString });
    }

    protected override Task StopBackendAsync() => Postgres.DisposeAsync();

    /// <summary>Frees the hold of <paramref name="name"/> in the table itself; the rows changed.</summary>
    public Task<int> TakeAwayAsync(string name) => Postgres.ExecuteAsync(
        "UPDATE public.coord_locks SET holder = NULL, expires_at = NULL WHERE name = $1 AND holder IS NOT NULL", name);
}
