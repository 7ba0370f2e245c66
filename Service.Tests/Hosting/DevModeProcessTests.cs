using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// The README's run command as a user gets it: the service's own executable started as a separate
/// process with no configuration but an address, answering over real HTTP, saying dev mode first and
/// naming the address it really listens on.
/// </summary>
public sealed class DevModeProcessTests
{
    [Fact]
    public async Task With_nothing_configured_it_starts_in_dev_mode_on_loopback_and_names_the_port_it_bound()
    {
        // Port 0: only the start-up line can tell the client where the service is.
        await using var service = ServiceProcess.Start(["--urls", "http://127.0.0.1:0"]);
        var startLine = await service.WaitForLineAsync("DEV MODE");
        var port = int.Parse(Regex.Match(startLine, @"http://127\.0\.0\.1:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0, port);
        Assert.DoesNotContain(":0;", startLine + ";", StringComparison.Ordinal);
        // Console logging writes "info: Category[0]" then the message: the start-up line comes first.
        Assert.Contains("Coord.Service", service.Lines[0], StringComparison.Ordinal);
        Assert.Contains("DEV MODE", service.Lines[1], StringComparison.Ordinal);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var ids = await GetAsync(client, "/v1/ids/snowflake", timeout.Token);
        Assert.Single(ids.GetProperty("ids").EnumerateArray());
        using var acquired = await client.PostAsync("/v1/locks/dev/check", null, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
    }

    [Fact]
    public async Task With_the_default_log_levels_requests_write_nothing_to_the_log()
    {
        await using var service = ServiceProcess.Start(["--urls", "http://127.0.0.1:0"]);
        var startLine = await service.WaitForLineAsync("DEV MODE");
        var port = Regex.Match(startLine, @"http://127\.0\.0\.1:(\d+)").Groups[1].Value;
        var linesAtStart = service.Lines.Count;

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 20; i++)
        {
            using var acquired = await client.PostAsync($"/v1/locks/quiet/{i}", null);
            Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
            var token = (await acquired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("holderToken").GetString();
            using var release = new HttpRequestMessage(HttpMethod.Delete, $"/v1/locks/quiet/{i}");
            release.Headers.Add(LockApi.HolderTokenHeader, token);
            using var released = await client.SendAsync(release);
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        }

        // After a clean shutdown every line the 40 requests caused has been written.
        Assert.Equal(0, await service.StopAsync());
        var written = service.Lines.Skip(linesAtStart).ToList();
        Assert.True(written.Count == 0, $"40 requests wrote {written.Count} log lines:\n{string.Join('\n', written)}");
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
    }
}
