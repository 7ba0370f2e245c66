using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Coord.Testing;

namespace Coord.Stress.Servers;

/// <summary>
/// The Coord REST service as a child process (<c>dotnet Coord.Service.dll</c>, built next to the runner),
/// on a free loopback port, with one lock backend named <see cref="BackendName"/> configured on the
/// command line. As a <see cref="ServerNode"/> it dies with the runner: disposing kills it, and a
/// watchdog kills it if the runner goes away without disposing.
/// </summary>
public sealed class CoordServiceNode : ServerNode
{
    public const string BackendName = "stress";

    private readonly IReadOnlyList<string> _settings;

    private CoordServiceNode(int port, string dataDirectory, IReadOnlyList<string> settings)
        : base("coord-service", port, dataDirectory)
    {
        _settings = settings;
    }

    public Uri BaseAddress => new($"http://{Host}:{Port}/");

    /// <summary>
    /// Starts the service with backend <see cref="BackendName"/> (the default) of <paramref name="backendType"/>,
    /// whose options are <paramref name="backendSettings"/> (option name to value), and waits for <c>/healthz</c>.
    /// </summary>
    public static Task<CoordServiceNode> StartAsync(string backendType, IReadOnlyDictionary<string, string> backendSettings, CancellationToken cancellationToken)
        => StartAsync(backendType, backendSettings, new Dictionary<string, string>(), cancellationToken);

    /// <summary>
    /// As above, with further service settings (configuration key to value, e.g. <c>Coord:ApiKeys:0</c>);
    /// these come last, so they may also override the runner's defaults such as <c>Coord:Limits:MinTtl</c>.
    /// </summary>
    public static async Task<CoordServiceNode> StartAsync(string backendType, IReadOnlyDictionary<string, string> backendSettings,
        IReadOnlyDictionary<string, string> serviceSettings, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Coord.Service.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"The Coord service is not built next to the runner ({dll} is missing); build the stress project, which references Service.");
        var prefix = $"--Coord:Locks:Backends:{BackendName}:";
        var settings = new List<string>
        {
            dll,
            "--Coord:Locks:Default=" + BackendName,
            prefix + "Type=" + backendType,
            // The runner's short-TTL scenarios go below the service's 1 s default floor.
            "--Coord:Limits:MinTtl=00:00:00.100",
            // Request logs would cost more than the requests; warnings and errors still reach the log file.
            "--Logging:LogLevel:Default=Warning",
        };
        settings.AddRange(backendSettings.Select(kv => prefix + kv.Key + "=" + kv.Value));
        settings.AddRange(serviceSettings.Select(kv => "--" + kv.Key + "=" + kv.Value));
        var directory = Path.Combine(Path.GetTempPath(), "coord-stress-service-" + Guid.NewGuid().ToString("N")[..12]);
        var node = new CoordServiceNode(FreeLoopbackPort(), directory, settings);
        return await StartOrDisposeAsync(node, cancellationToken).ConfigureAwait(false);
    }

    // env execs dotnet in place (the pid stays the service's); workstation GC, as for the runner, so the
    // service does not claim a heap and a GC thread per core on a machine it shares with the clients.
    protected override (string Program, IReadOnlyList<string> Arguments) Command()
        => ("env", ["DOTNET_gcServer=0", "dotnet", .. _settings, "--urls", BaseAddress.ToString().TrimEnd('/')]);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var answer = await http.GetAsync("healthz", cancellationToken).ConfigureAwait(false);
        return answer.StatusCode == HttpStatusCode.OK;
    }

    // Port 0 lets the kernel pick a free one; the short gap before the service binds it is a risk accepted on loopback.
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({BaseAddress})");
}
