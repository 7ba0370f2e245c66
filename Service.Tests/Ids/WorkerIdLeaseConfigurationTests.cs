using System.Net;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Ids;

/// <summary>
/// <c>Coord:Ids:Snowflake:WorkerIdLease</c> with <c>Type</c> etcd and zookeeper, configured as the lock
/// backends are: two instances on one store lease different worker ids, and settings that cannot apply
/// stop start-up with the setting's path and what is allowed.
/// </summary>
public sealed class WorkerIdLeaseConfigurationTests(WorkerIdLeaseServers servers) : IClassFixture<WorkerIdLeaseServers>
{
    private const string Lease = "Coord:Ids:Snowflake:WorkerIdLease";

    private Dictionary<string, string> Etcd(string pool) => new()
    {
        [$"{Lease}:Type"] = "etcd",
        [$"{Lease}:Endpoints:0"] = servers.Etcd.ClientUrl,
        [$"{Lease}:Pool"] = pool,
        [$"{Lease}:LeaseDuration"] = "00:00:06",
        [$"{Lease}:CommandTimeout"] = "00:00:02",
    };

    private Dictionary<string, string> ZooKeeper(string pool) => new()
    {
        [$"{Lease}:Type"] = "zookeeper",
        [$"{Lease}:ConnectString"] = servers.ZooKeeper.ConnectString,
        [$"{Lease}:Pool"] = pool,
        [$"{Lease}:LeaseDuration"] = "00:00:06",
        [$"{Lease}:CommandTimeout"] = "00:00:02",
    };

    [Theory]
    [InlineData("etcd")]
    [InlineData("zookeeper")]
    public async Task Two_instances_on_one_store_lease_different_worker_ids(string type)
    {
        var settings = type == "etcd" ? Etcd("two-instances") : ZooKeeper("two-instances");
        await using var first = await ServiceHost.StartAsync(settings);
        await using var second = await ServiceHost.StartAsync(settings);
        var workers = new[] { await WorkerIdOfNextIdAsync(first), await WorkerIdOfNextIdAsync(second) };
        Assert.Equal([0, 1], workers.Order());
    }

    private static async Task<int> WorkerIdOfNextIdAsync(ServiceHost host)
    {
        using var issued = await host.Client.GetAsync("/v1/ids/snowflake");
        var body = await issued.Content.ReadAsStringAsync();
        Assert.True(issued.StatusCode == HttpStatusCode.OK, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("ids")[0].GetString();
        using var decoded = await host.Client.GetAsync($"/v1/ids/snowflake/{id}");
        return JsonDocument.Parse(await decoded.Content.ReadAsStringAsync()).RootElement.GetProperty("workerId").GetInt32();
    }

    [Theory]
    [InlineData("etcd")]
    [InlineData("zookeeper")]
    public async Task A_store_that_does_not_answer_is_a_503_naming_the_store_not_the_client_library(string type)
    {
        var closed = ClosedPort();
        var settings = type == "etcd" ? Etcd("down") : ZooKeeper("down");
        if (type == "etcd")
            settings[$"{Lease}:Endpoints:0"] = $"http://127.0.0.1:{closed}";
        else
            settings[$"{Lease}:ConnectString"] = $"127.0.0.1:{closed}";
        settings[$"{Lease}:CommandTimeout"] = "00:00:01";
        await using var host = await ServiceHost.StartAsync(settings);
        using var response = await host.Client.GetAsync("/v1/ids/snowflake");
        var detail = (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "ids_unavailable")).GetProperty("detail").GetString()!;
        Assert.Contains($"Could not lease a Snowflake worker id from {(type == "etcd" ? "etcd" : "ZooKeeper")} ", detail, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{closed}", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Grpc", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Status(", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", detail, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("etcd", "", "Endpoints must list at least one etcd client URL")]
    [InlineData("etcd", "Endpoints:0=localhost:2379", "must be an http:// or https:// URL")]
    [InlineData("etcd", "Endpoints:0=http://127.0.0.1:2379|LeaseDuration=00:00:01", "whole seconds from 2 s to 1 h")]
    [InlineData("etcd", "Endpoints:0=http://127.0.0.1:2379|LeaseDuration=00:00:02.500", "whole seconds from 2 s to 1 h")]
    [InlineData("etcd", "Endpoints:0=http://127.0.0.1:2379|LeaseDuration=01:00:01", "whole seconds from 2 s to 1 h")]
    [InlineData("etcd", "Endpoints:0=http://127.0.0.1:2379|Pool=a/b", "Pool must be 1 to 128 letters")]
    [InlineData("etcd", "Endpoints:0=http://127.0.0.1:2379|ConfigureTls=yes", "'ConfigureTls' cannot be set from configuration")]
    [InlineData("etcd", "Endpoint=http://127.0.0.1:2379", "unknown setting 'Endpoint'")]
    [InlineData("zookeeper", "", "ConnectString is required")]
    [InlineData("zookeeper", "ConnectString=127.0.0.1:2181/chroot", "no chroot")]
    [InlineData("zookeeper", "ConnectString=127.0.0.1:2181|Root=/", "Root must be a ZooKeeper path below '/'")]
    [InlineData("zookeeper", "ConnectString=127.0.0.1:2181|Pool=..", "Pool must be 1 to 128 letters")]
    [InlineData("zookeeper", "ConnectString=127.0.0.1:2181|LeaseDuration=00:00:00.999", "LeaseDuration must be between 1 s and 1 h")]
    [InlineData("zookeeper", "ConnectString=127.0.0.1:2181|LeaseDuration=00:00:02|CommandTimeout=00:00:02", "CommandTimeout must be at least 100 ms and shorter than LeaseDuration")]
    public void A_lease_setting_that_cannot_apply_stops_start_up(string type, string settings, string reason)
    {
        string[] args = ["--urls=http://127.0.0.1:0", $"--{Lease}:Type={type}",
            .. settings.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(s => $"--{Lease}:{s}")];
        var message = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(args)).Message;
        Assert.Contains(Lease, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_lease_store_type_names_all_four()
    {
        var message = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(["--urls=http://127.0.0.1:0", $"--{Lease}:Type=consul"])).Message;
        Assert.Contains("use one of etcd, postgres, redis, zookeeper", message, StringComparison.Ordinal);
    }
}
