using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Coord.Testing;

/// <summary>One etcd member: alone, or one of an <see cref="EtcdCluster"/>.</summary>
public sealed class EtcdNode : ServerNode
{
    internal const string Binary = "/usr/bin/etcd";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    internal EtcdNode(string name, int clientPort, int peerPort, string dataDirectory) : base(name, clientPort, dataDirectory)
    {
        PeerPort = peerPort;
    }

    public int PeerPort { get; }

    /// <summary><c>http://127.0.0.1:port</c>, as dotnet-etcd and etcdctl take it.</summary>
    public string ClientUrl => $"http://{Host}:{Port}";

    public string PeerUrl => $"http://{Host}:{PeerPort}";

    /// <summary>The <c>--initial-cluster</c> value; set by the cluster before the first start.</summary>
    internal string InitialCluster { get; set; } = "";

    /// <summary>Shared by all members of one cluster, distinct between clusters.</summary>
    internal string ClusterToken { get; set; } = Guid.NewGuid().ToString("N");

    /// <summary>Creates and starts a single-member etcd.</summary>
    public static async Task<EtcdNode> StartAsync(string name = "etcd", CancellationToken cancellationToken = default)
    {
        RequireBinary(Binary, "etcd-server");
        var node = Create(name);
        node.InitialCluster = $"{name}={node.PeerUrl}";
        return await StartOrDisposeAsync(node, cancellationToken).ConfigureAwait(false);
    }

    internal static EtcdNode Create(string name) => new(name, FreePorts.Next(), FreePorts.Next(), TestDirectories.Create(name));

    protected override (string Program, IReadOnlyList<string> Arguments) Command() => (Binary,
    [
        "--name", Name,
        "--data-dir", Path.Combine(DataDirectory, "data"),
        "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
        "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
        "--initial-cluster", InitialCluster, "--initial-cluster-state", "new",
        "--initial-cluster-token", ClusterToken,
        // Short timers so that elections after a killed leader finish within a test's patience.
        "--heartbeat-interval", "50", "--election-timeout", "500",
        "--snapshot-count", "100000", "--quota-backend-bytes", (256L * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
        "--logger", "zap", "--log-outputs", "stderr",
    ]);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync($"{ClientUrl}/health", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            return false;
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        return body.TryGetProperty("health", out var health) && health.GetString() == "true";
    }

    /// <summary>Whether this member currently thinks it is the leader (from <c>/v3/maintenance/status</c>).</summary>
    public async Task<bool> IsLeaderAsync(CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsync($"{ClientUrl}/v3/maintenance/status", new StringContent("{}"), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        var header = body.GetProperty("header");
        return header.GetProperty("member_id").GetString() == body.GetProperty("leader").GetString();
    }
}
