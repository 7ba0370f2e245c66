using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// The README's run command as a user gets it: the service's own executable started as a separate
/// process with no configuration but a port, answering over real HTTP, saying dev mode first.
/// </summary>
public sealed class DevModeProcessTests
{
    [Fact]
    public async Task With_nothing_configured_it_starts_in_dev_mode_on_loopback_and_serves_ids_and_locks()
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Coord.Service.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        // The test runner's environment must not configure the child.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Coord__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["Logging__Console__FormatterName"] = "simple";
        using var process = Process.Start(start)!;
        try
        {
            var firstLines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (firstLines.Count < 2 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                firstLines.Add(line);
            // Console logging writes "info: Category[0]" then the message on the next line.
            Assert.Contains("Coord.Service", firstLines[0], StringComparison.Ordinal);
            Assert.Contains("DEV MODE", firstLines[1], StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{port}", firstLines[1], StringComparison.Ordinal);

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var ids = await GetWhenUpAsync(client, "/v1/ids/snowflake", timeout.Token);
            Assert.Single(ids.GetProperty("ids").EnumerateArray());
            using var acquired = await client.PostAsync("/v1/locks/dev/check", null, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task<JsonElement> GetWhenUpAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
            }
            catch (HttpRequestException)
            {
                // Logged its first line, not yet listening.
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
