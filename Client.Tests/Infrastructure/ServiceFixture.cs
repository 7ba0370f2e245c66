using Coord.Stress.Servers;

namespace Coord.Client.Tests.Infrastructure;

/// <summary>
/// A real backend server and the Coord service over it as a child process (which the fault tests can
/// pause or kill), guarded by an API key; clients reach it over loopback HTTP as any other process would.
/// </summary>
public abstract class ServiceFixture : IAsyncLifetime
{
    public const string ApiKey = "client-tests-api-key-0123456789";

    /// <summary>
    /// The service's longest lease, raised from its 1 h default to the lock library's own bound, so that the
    /// contract's limits (which every backend shares) are reached through the client too.
    /// </summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(1);

    public CoordServiceNode Service { get; private set; } = null!;

    /// <summary>The connection argument of the holder process (tools/Coord.LockHolder http mode).</summary>
    public string HolderConnection => $"{Service.BaseAddress};apiKey={ApiKey}";

    /// <summary>Starts the backend and returns the service's backend type and settings for it.</summary>
    protected abstract Task<(string Type, IReadOnlyDictionary<string, string> Settings)> StartBackendAsync();

    protected abstract Task StopBackendAsync();

    /// <summary>Service settings beyond the backend and the API key.</summary>
    protected virtual IReadOnlyDictionary<string, string> ServiceSettings => new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        var (type, settings) = await StartBackendAsync();
        var service = new Dictionary<string, string>(ServiceSettings) { ["Coord:ApiKeys:0"] = ApiKey, ["Coord:Limits:MaxTtl"] = MaxTtl.ToString("c") };
        Service = await CoordServiceNode.StartAsync(type, settings, service, CancellationToken.None);
    }

    /// <summary>A client with its own connections, as a separate process would have.</summary>
    public CoordClient NewClient(Action<CoordClientOptions>? configure = null) => CoordClient.Create(o =>
    {
        o.BaseAddress = Service.BaseAddress;
        o.ApiKey = ApiKey;
        o.MaxTtl = MaxTtl;
        configure?.Invoke(o);
    });

    public async Task DisposeAsync()
    {
        if (Service is not null)
            await Service.DisposeAsync();
        await StopBackendAsync();
    }
}
