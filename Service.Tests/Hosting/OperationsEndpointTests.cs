using System.Net;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Hosting;

/// <summary>/healthz, /metrics and /openapi/v1.json of a dev-mode instance.</summary>
public sealed class OperationsEndpointTests(DevModeFixture fixture) : IClassFixture<DevModeFixture>
{
    [Fact]
    public async Task Healthz_answers_without_an_api_key()
    {
        using var anonymous = fixture.Host.NewClient(null);
        using var response = await anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_export_the_lock_and_id_meters_in_prometheus_text()
    {
        var locks = new LockApi(fixture.Host.Client);
        var held = await locks.HoldAsync("metrics/probe");
        using (await locks.ReleaseAsync(held.Name, held.HolderToken)) { }
        using (await fixture.Host.Client.GetAsync("/v1/ids/snowflake?count=7")) { }

        using var response = await fixture.Host.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Matches("""coord_locks_coord_lock_backend_requests\{backend="inmemory",operation="acquire"\} [1-9]""", text);
        Assert.Matches("""coord_service_coord_service_ids_issued\{generator="snowflake"\} [1-9]""", text);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_lock_and_id_endpoints()
    {
        using var response = await fixture.Host.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString());
        var paths = document.GetProperty("paths");
        var names = paths.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/locks/{name}", names);
        Assert.Contains("/v1/ids/snowflake", names);
        Assert.Contains("/v1/ids/segment/{tag}", names);
        var lockPath = paths.GetProperty("/v1/locks/{name}");
        Assert.True(lockPath.TryGetProperty("post", out _) && lockPath.TryGetProperty("put", out _) && lockPath.TryGetProperty("delete", out _) && lockPath.TryGetProperty("get", out _));
    }
}
