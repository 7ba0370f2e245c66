using System.Net;
using System.Net.Sockets;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// Start-up failures as an operator meets them: the real executable, configured through the
/// environment as a container would be, ending with one line that says what to change and no stack trace.
/// </summary>
public sealed class StartFailureProcessTests
{
    public static TheoryData<Dictionary<string, string>> ReachableEnvironments => new()
    {
        new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://0.0.0.0:0" },
        new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = "0" },
        new Dictionary<string, string> { ["Kestrel__Endpoints__Web__Url"] = "http://0.0.0.0:0" },
        new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Web__Url"] = "http://127.0.0.1:0",
            ["ASPNETCORE_URLS"] = "http://0.0.0.0:0",
            ["ASPNETCORE_PREFERHOSTINGURLS"] = "true",
        },
    };

    [Theory]
    [MemberData(nameof(ReachableEnvironments))]
    public async Task Without_api_keys_an_address_beyond_loopback_stops_the_process_with_exit_code_2(Dictionary<string, string> environment)
    {
        await using var service = ServiceProcess.Start([], environment);
        Assert.Equal(2, await service.ExitCodeAsync());
        var error = SingleLine(service.StandardError);
        Assert.StartsWith("Coord service cannot start: Refusing to listen on http://", error, StringComparison.Ordinal);
        Assert.Contains("without API keys", error, StringComparison.Ordinal);
        AssertNoStackTrace(service);
    }

    [Fact]
    public async Task A_taken_port_gives_one_line_naming_it_and_how_to_choose_another_and_exit_code_1()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var service = ServiceProcess.Start(["--urls", $"http://127.0.0.1:{port}"]);
        Assert.Equal(1, await service.ExitCodeAsync());
        var error = SingleLine(service.StandardError);
        Assert.Contains($"port {port}", error, StringComparison.Ordinal);
        Assert.Contains("already in use", error, StringComparison.Ordinal);
        Assert.Contains("--urls", error, StringComparison.Ordinal);
        AssertNoStackTrace(service);
    }

    private static string SingleLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got {lines.Length}:\n{text}");
        return lines[0];
    }

    private static void AssertNoStackTrace(ServiceProcess service)
    {
        var all = service.StandardOutput + service.StandardError;
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
    }
}
