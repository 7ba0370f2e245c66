using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// One PostgreSQL server holding everything: locks, Leaf segments and Snowflake worker-id leases, and
/// two service instances over it (so they must lease different worker ids and draw disjoint segments).
/// </summary>
public sealed class PostgresServiceFixture : BackendServiceFixture
{
    private PostgresServer? _server;

    public override string BackendName => "pg";

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _server = await PostgresServer.StartAsync();
        var database = await _server.CreateDatabaseAsync("coord_service");
        return new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:pg:Type"] = "postgres",
            ["Coord:Locks:Backends:pg:ConnectionString"] = database,
            ["Coord:Ids:Snowflake:WorkerIdLease:ConnectionString"] = database,
            ["Coord:Ids:Segment:PostgresStore:ConnectionString"] = database,
            ["Coord:Ids:Segment:AutoCreateTags"] = "true",
        };
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
