using System.Net;
using Coord.Service.Ids;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Ids;

/// <summary>
/// Dev mode makes a segment tag on first use, up to <c>Coord:Ids:Segment:MaxAutoCreatedTags</c> (1,000 by
/// default); past the limit an unknown tag is a clear 404 <c>tag_limit_reached</c>.
/// </summary>
public sealed class SegmentTagTests
{
    private static async Task<HttpResponseMessage> DrawAsync(ServiceHost host, string tag) => await host.Client.GetAsync($"/v1/ids/segment/{tag}");

    [Fact]
    public async Task Dev_mode_makes_tags_on_first_use_up_to_the_default_limit_of_1000()
    {
        await using var host = await ServiceHost.StartAsync();
        for (var i = 0; i < 1_000; i++)
        {
            using var made = await DrawAsync(host, $"tag-{i}");
            Assert.True(made.StatusCode == HttpStatusCode.OK, $"tag {i}: {(int)made.StatusCode} {await made.Content.ReadAsStringAsync()}");
        }
        using var refused = await DrawAsync(host, "tag-1000");
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.NotFound, IdProblems.TagLimitReached);
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("'tag-1000' does not exist", detail, StringComparison.Ordinal);
        Assert.Contains("limit of 1000 tags", detail, StringComparison.Ordinal);
        Assert.Contains("Coord:Ids:Segment:MaxAutoCreatedTags", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_limit_applies_and_tags_already_made_keep_serving()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string> { ["Coord:Ids:Segment:MaxAutoCreatedTags"] = "2" });
        using (var first = await DrawAsync(host, "first"))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await DrawAsync(host, "second"))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using (var third = await DrawAsync(host, "third"))
        {
            var problem = await ProblemAssert.IsProblemAsync(third, HttpStatusCode.NotFound, IdProblems.TagLimitReached);
            Assert.Contains("limit of 2 tags", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using var again = await DrawAsync(host, "first");
        var ids = (await ProblemAssert.ReadJsonAsync(again)).GetProperty("ids");
        Assert.Equal("2", ids[0].GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000001")]
    public void A_limit_out_of_range_stops_start_up(string limit)
    {
        var message = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(["--urls=http://127.0.0.1:0", $"--Coord:Ids:Segment:MaxAutoCreatedTags={limit}"])).Message;
        Assert.Contains("Coord:Ids:Segment", message, StringComparison.Ordinal);
        Assert.Contains("MaxAutoCreatedTags must be between 1 and 1,000,000", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_largest_limit_is_accepted()
    {
        await using var app = CoordServiceApp.Build(["--urls=http://127.0.0.1:0", "--Coord:Ids:Segment:MaxAutoCreatedTags=1000000"]);
        Assert.Contains("at most 1000000", Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IdServices>(app.Services).Summary, StringComparison.Ordinal);
    }
}
