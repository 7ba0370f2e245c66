using System.Net;
using System.Net.Sockets;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// A configured backend that cannot be reached: the service still starts, /readyz names it, requests to it
/// get 503 naming backend and endpoint, and the other backends keep working.
/// </summary>
public sealed class UnreachableBackendTests : IAsyncLifetime
{
    private readonly int _closedPort = ClosedPort();
    private ServiceHost _host = null!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync(new Dictionary<string, string>
    {
        ["Coord:Locks:Default"] = "memory",
        ["Coord:Locks:Backends:memory:Type"] = "inmemory",
        ["Coord:Locks:Backends:gone:Type"] = "redis",
        ["Coord:Locks:Backends:gone:Configuration"] = $"127.0.0.1:{_closedPort},connectTimeout=500",
        ["Coord:Locks:Backends:gone:ConnectTimeout"] = "00:00:01",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Readyz_answers_503_naming_the_unreachable_backend()
    {
        using var response = await _host.Client.GetAsync("/readyz");
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "not_ready");
        Assert.Contains("lock backend gone", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var checks = problem.GetProperty("checks").EnumerateArray().ToList();
        Assert.Contains(checks, c => c.GetProperty("name").GetString()!.StartsWith("lock backend memory", StringComparison.Ordinal) && c.GetProperty("ready").GetBoolean());
        Assert.Contains(checks, c => c.GetProperty("name").GetString()!.StartsWith("lock backend gone", StringComparison.Ordinal) && !c.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task A_lock_on_the_unreachable_backend_gets_503_and_the_others_still_work()
    {
        using (var response = await new LockApi(_host.Client, "gone").AcquireAsync("orders/1"))
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "backend_unavailable");
            Assert.Contains($"127.0.0.1:{_closedPort}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }
        var locks = new LockApi(_host.Client);
        var held = await locks.HoldAsync("orders/1");
        using var released = await locks.ReleaseAsync("orders/1", held.HolderToken);
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: nothing listens there
    }
}
