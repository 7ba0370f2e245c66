using System.Globalization;
using System.Net;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Ids;

/// <summary>The ID endpoints of a dev-mode instance: strings, counts, order, decode.</summary>
public sealed class IdEndpointTests(DevModeFixture fixture) : IClassFixture<DevModeFixture>
{
    private async Task<JsonElement> GetAsync(string path)
    {
        using var response = await fixture.Host.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static List<string> Ids(JsonElement answer)
        => answer.GetProperty("ids").EnumerateArray().Select(e =>
        {
            Assert.Equal(JsonValueKind.String, e.ValueKind);
            return e.GetString()!;
        }).ToList();

    [Fact]
    public async Task Snowflake_ids_come_as_strings_distinct_and_increasing_up_to_the_count_limit()
    {
        var ids = Ids(await GetAsync("/v1/ids/snowflake?count=10000")).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(10_000, ids.Count);
        for (var i = 1; i < ids.Count; i++)
            Assert.True(ids[i] > ids[i - 1], $"id {i} did not increase");
        var next = long.Parse(Ids(await GetAsync("/v1/ids/snowflake"))[0], CultureInfo.InvariantCulture);
        Assert.True(next > ids[^1]);
        Assert.True(next > 1L << 53, "a current Snowflake id needs more than 53 bits, which is why it travels as a string");
    }

    [Fact]
    public async Task A_snowflake_id_decodes_to_this_instances_worker_and_the_time_it_was_issued()
    {
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-5);
        var id = Ids(await GetAsync("/v1/ids/snowflake?count=3"))[2];
        var parts = await GetAsync($"/v1/ids/snowflake/{id}");
        Assert.Equal(id, parts.GetProperty("id").GetString());
        Assert.Equal(1, parts.GetProperty("workerId").GetInt32());
        Assert.InRange(parts.GetProperty("timestamp").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddMilliseconds(5));
    }

    [Fact]
    public async Task Segment_ids_of_a_tag_increase_and_dev_mode_makes_the_tag_on_first_use()
    {
        var first = Ids(await GetAsync("/v1/ids/segment/orders?count=1500")).Select(long.Parse).ToList();
        var second = Ids(await GetAsync("/v1/ids/segment/orders?count=10")).Select(long.Parse).ToList();
        var all = first.Concat(second).ToList();
        Assert.Equal(1510, all.Distinct().Count());
        for (var i = 1; i < all.Count; i++)
            Assert.True(all[i] > all[i - 1]);
        var other = await GetAsync("/v1/ids/segment/invoices");
        Assert.Equal("invoices", other.GetProperty("tag").GetString());
    }

    [Theory]
    [InlineData(null, '7')]
    [InlineData(7, '7')]
    [InlineData(4, '4')]
    public async Task Uuids_have_the_asked_version(int? version, char expectedVersion)
    {
        var ids = Ids(await GetAsync($"/v1/ids/uuid?count=100{(version is null ? "" : $"&version={version}")}"));
        Assert.Equal(100, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(expectedVersion, Guid.Parse(id).ToString("D")[14]));
        if (expectedVersion == '7')
            Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }
}
