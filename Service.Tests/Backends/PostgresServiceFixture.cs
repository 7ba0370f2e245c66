using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// One PostgreSQL server holding everything: locks, Leaf segments and Snowflake worker-id leases, and
/// two service instances over it (so they must lease different worker ids and draw disjoint segments).
/// </summary>
public sealed class PostgresServiceFixture : ServerBackedFixture<PostgresServer>
{
    public override string BackendName => "pg";

    protected override Task<PostgresServer> StartServersAsync() => PostgresServer.StartAsync();

    protected override async Task<Dictionary<string, string>> SettingsAsync(PostgresServer server)
    {
        var database = await server.CreateDatabaseAsync("coord_service");
        return new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:pg:Type"] = "postgres",
            ["Coord:Locks:Backends:pg:ConnectionString"] = database,
            ["Coord:Ids:Snowflake:WorkerIdLease:ConnectionString"] = database,
            ["Coord:Ids:Segment:PostgresStore:ConnectionString"] = database,
            ["Coord:Ids:Segment:AutoCreateTags"] = "true",
        };
    }
}
