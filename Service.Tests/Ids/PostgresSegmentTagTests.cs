using System.Net;
using Coord.Service.Tests.Infrastructure;
using Npgsql;

namespace Coord.Service.Tests.Ids;

/// <summary>Outside dev mode (segments from PostgreSQL) no tag is made on first use: an unknown tag is a 404 that says how to add it.</summary>
public sealed class PostgresSegmentTagTests(SegmentPostgresFixture postgres) : IClassFixture<SegmentPostgresFixture>
{
    [Fact]
    public async Task An_unknown_tag_is_refused_with_how_to_add_it_and_served_once_its_row_exists()
    {
        var database = await postgres.Server.CreateDatabaseAsync("segment_tags");
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string> { ["Coord:Ids:Segment:PostgresStore:ConnectionString"] = database });
        using (var unknown = await host.Client.GetAsync("/v1/ids/segment/invoices"))
        {
            var problem = await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "unknown_tag");
            var detail = problem.GetProperty("detail").GetString();
            Assert.Contains("'invoices' does not exist in PostgreSQL", detail, StringComparison.Ordinal);
            Assert.Contains("table leaf_alloc", detail, StringComparison.Ordinal);
            Assert.Contains("only in dev mode", detail, StringComparison.Ordinal);
            Assert.Contains("insert a row for it (biz_tag, max_id, step)", detail, StringComparison.Ordinal);
        }

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('invoices', 500, 100)", connection);
            await insert.ExecuteNonQueryAsync();
        }
        using var served = await host.Client.GetAsync("/v1/ids/segment/invoices");
        Assert.Equal("500", (await ProblemAssert.ReadJsonAsync(served)).GetProperty("ids")[0].GetString());
    }
}
