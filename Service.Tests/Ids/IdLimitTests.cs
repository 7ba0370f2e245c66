using System.Globalization;
using System.Net;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Ids;

/// <summary>Every input of the ID routes at the ends of its range and one past each: counts, versions, tags, ids to decode.</summary>
public sealed class IdLimitTests(DevModeFixture fixture) : IClassFixture<DevModeFixture>
{
    private const int MaxCount = 10_000;

    private async Task<JsonElement> OkAsync(string path)
    {
        using var response = await fixture.Host.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> RefusedAsync(string path, HttpStatusCode status = HttpStatusCode.BadRequest, string code = "invalid_request")
    {
        using var response = await fixture.Host.Client.GetAsync(path);
        return (await ProblemAssert.IsProblemAsync(response, status, code)).GetProperty("detail").GetString()!;
    }

    [Theory]
    [InlineData("/v1/ids/snowflake")]
    [InlineData("/v1/ids/segment/limits-count")]
    [InlineData("/v1/ids/uuid")]
    [InlineData("/v1/ids/uuid?version=4")]
    public async Task Counts_of_1_and_of_the_limit_are_served_and_0_limit_plus_1_and_overflowing_counts_are_refused(string route)
    {
        var joiner = route.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        Assert.Single((await OkAsync(route)).GetProperty("ids").EnumerateArray());
        Assert.Single((await OkAsync($"{route}{joiner}count=1")).GetProperty("ids").EnumerateArray());
        var most = (await OkAsync($"{route}{joiner}count={MaxCount}")).GetProperty("ids").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(MaxCount, most.Distinct().Count());

        foreach (var bad in new[] { "0", "-1", (MaxCount + 1).ToString(CultureInfo.InvariantCulture), int.MaxValue.ToString(CultureInfo.InvariantCulture), int.MinValue.ToString(CultureInfo.InvariantCulture) })
            Assert.Contains($"count must be between 1 and {MaxCount}", await RefusedAsync($"{route}{joiner}count={bad}"), StringComparison.Ordinal);
        // Past int: no count at all, said as such.
        foreach (var beyond in new[] { "2147483648", "-2147483649", "9223372036854775808" })
            Assert.Contains("count", await RefusedAsync($"{route}{joiner}count={beyond}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_takes_ids_from_0_to_long_MaxValue_and_refuses_the_rest()
    {
        var zero = await OkAsync("/v1/ids/snowflake/0");
        Assert.Equal(0, zero.GetProperty("timestampMs").GetInt64());
        var top = await OkAsync($"/v1/ids/snowflake/{long.MaxValue}");
        Assert.Equal((1L << 41) - 1, top.GetProperty("timestampMs").GetInt64());
        Assert.Equal(long.MaxValue.ToString(CultureInfo.InvariantCulture), top.GetProperty("id").GetString());

        foreach (var bad in new[] { "-1", "9223372036854775808", long.MinValue.ToString(CultureInfo.InvariantCulture), "+5", " 5", "0x10" })
            Assert.Contains($"from 0 to {long.MaxValue}", await RefusedAsync($"/v1/ids/snowflake/{Uri.EscapeDataString(bad)}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_timestamp_field_reaching_past_the_year_9999_decode_refuses_such_an_id_clearly()
    {
        // 49 timestamp bits from 2020 reach beyond the last date there is; 2 rollback and 12 sequence bits leave no worker bits.
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string>
        {
            ["Coord:Ids:Snowflake:Layout:TimestampBits"] = "49",
            ["Coord:Ids:Snowflake:WorkerId"] = "0",
        });
        using var response = await host.Client.GetAsync($"/v1/ids/snowflake/{long.MaxValue}");
        var detail = (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request")).GetProperty("detail").GetString()!;
        Assert.Contains("past the year 9999", detail, StringComparison.Ordinal);
        using var issued = await host.Client.GetAsync("/v1/ids/snowflake");
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
    }

    [Fact]
    public async Task Uuid_versions_4_and_7_are_served_and_every_other_is_refused()
    {
        foreach (var version in new[] { 4, 7 })
            Assert.Equal(version, Guid.Parse((await OkAsync($"/v1/ids/uuid?version={version}")).GetProperty("ids")[0].GetString()!).Version);
        foreach (var bad in new[] { "0", "3", "5", "6", "8", "-7", int.MaxValue.ToString(CultureInfo.InvariantCulture) })
            Assert.Contains("version must be 4 (random) or 7 (time-ordered)", await RefusedAsync($"/v1/ids/uuid?version={bad}"), StringComparison.Ordinal);
        Assert.Contains("version", await RefusedAsync("/v1/ids/uuid?version=2147483648"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_tags_of_1_and_128_characters_are_served_and_129_are_refused()
    {
        foreach (var tag in new[] { "t", new string('t', 128) })
            Assert.Equal(tag, (await OkAsync($"/v1/ids/segment/{tag}")).GetProperty("tag").GetString());
        Assert.Contains("1 to 128 characters", await RefusedAsync($"/v1/ids/segment/{new string('t', 129)}"), StringComparison.Ordinal);
    }
}
