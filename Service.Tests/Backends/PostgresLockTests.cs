using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Coord.Service.Tests.Backends;

/// <summary>Locks over PostgreSQL, plus the IDs the same database backs: leased worker ids and Leaf segments.</summary>
public sealed class PostgresLockTests(PostgresServiceFixture fixture) : SharedBackendLockTests(fixture), IClassFixture<PostgresServiceFixture>
{
    private static async Task<List<long>> IdsAsync(HttpClient client, string path)
    {
        var answer = await client.GetFromJsonAsync<JsonElement>(path);
        return answer.GetProperty("ids").EnumerateArray().Select(e => long.Parse(e.GetString()!, CultureInfo.InvariantCulture)).ToList();
    }

    [Fact]
    public async Task Two_instances_lease_different_worker_ids_so_their_snowflake_ids_never_collide()
    {
        var fromA = await IdsAsync(Fixture.HostA.Client, "/v1/ids/snowflake?count=5000");
        var fromB = await IdsAsync(Fixture.HostB!.Client, "/v1/ids/snowflake?count=5000");
        Assert.Empty(fromA.Intersect(fromB));

        var workerA = (await Fixture.HostA.Client.GetFromJsonAsync<JsonElement>($"/v1/ids/snowflake/{fromA[0]}")).GetProperty("workerId").GetInt32();
        var workerB = (await Fixture.HostB.Client.GetFromJsonAsync<JsonElement>($"/v1/ids/snowflake/{fromB[0]}")).GetProperty("workerId").GetInt32();
        Assert.NotEqual(workerA, workerB);
    }

    [Fact]
    public async Task Two_instances_draw_disjoint_segments_of_one_tag_from_the_database()
    {
        var tag = "orders-" + Guid.NewGuid().ToString("N")[..8];
        var fromA = await IdsAsync(Fixture.HostA.Client, $"/v1/ids/segment/{tag}?count=2500");
        var fromB = await IdsAsync(Fixture.HostB!.Client, $"/v1/ids/segment/{tag}?count=2500");
        fromA.AddRange(await IdsAsync(Fixture.HostA.Client, $"/v1/ids/segment/{tag}?count=2500"));
        Assert.Equal(7500, fromA.Concat(fromB).Distinct().Count());
        Assert.All(fromA.Concat(fromB), id => Assert.True(id > 0));
    }
}
