using System.Net;
using System.Text.RegularExpressions;
using Coord.Service.Tests.Infrastructure;
using Coord.Testing;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// A Redis server that goes away under a running service: the 503 detail names the backend, its
/// endpoint and the kind of failure, and nothing of the client library's own text (its version, pool
/// counters, the commands and keys it was sending), nor any .NET type name.
/// </summary>
public sealed partial class BackendOutageTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private ServiceHost _host = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync("outage");
        _host = await ServiceHost.StartAsync(new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:redis:Type"] = "redis",
            ["Coord:Locks:Backends:redis:Configuration"] = $"{_redis.Endpoint},abortConnect=false,connectTimeout=500,syncTimeout=1000",
            ["Coord:Locks:Backends:redis:ConnectTimeout"] = "00:00:01",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_killed_redis_gives_503_naming_backend_endpoint_and_kind_without_library_text()
    {
        var locks = new LockApi(_host.Client);
        var held = await locks.HoldAsync("outage/before");
        using (var released = await locks.ReleaseAsync("outage/before", held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);

        _redis.Kill();

        foreach (var send in new Func<Task<HttpResponseMessage>>[]
        {
            () => locks.AcquireAsync("outage/after"),
            () => locks.StatusAsync("outage/after"),
            () => locks.ReleaseAsync("outage/after", held.HolderToken),
            () => locks.RenewAsync("outage/after", held.HolderToken, 5_000),
        })
        {
            using var response = await send();
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "backend_unavailable");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains($"the redis backend at {_redis.Endpoint} is unavailable", detail, StringComparison.Ordinal);
            Assert.Matches("(connection failed|did not answer in time)", detail);
            AssertNoLibraryText(detail);
        }

        using var ready = await _host.Client.GetAsync("/readyz");
        var notReady = await ProblemAssert.IsProblemAsync(ready, HttpStatusCode.ServiceUnavailable, "not_ready");
        AssertNoLibraryText(notReady.GetRawText());
    }

    private static void AssertNoLibraryText(string text)
    {
        // StackExchange.Redis puts these in its messages: version, multiplexer/manager counters, thread
        // pool figures, the command it was sending and the key.
        foreach (var leak in new[] { "StackExchange", "mc:", "mgr:", "IOCP", "WORKER", "v: ", "EVAL", "inst:", "qu:", "Exception", "outage/after" + ":" })
            Assert.DoesNotContain(leak, text, StringComparison.Ordinal);
        Assert.DoesNotMatch(TypeName(), text);
    }

    [GeneratedRegex(@"\b(System|Microsoft|Coord|StackExchange)\.[A-Z]")]
    private static partial Regex TypeName();
}
