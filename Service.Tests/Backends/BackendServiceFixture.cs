using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// Real backend servers for one test class and the service instances over them: <see cref="HostA"/>
/// always, <see cref="HostB"/> (a second instance over the same servers) where the backend is shared
/// between processes.
/// </summary>
public abstract class BackendServiceFixture : IAsyncLifetime
{
    /// <summary>The backend's name in the service configuration (and in <c>?backend=</c>).</summary>
    public abstract string BackendName { get; }

    /// <summary>Whether this backend issues fencing tokens.</summary>
    public virtual bool HasFencing => true;

    /// <summary>Whether a second instance is started over the same servers.</summary>
    protected virtual bool TwoInstances => true;

    public ServiceHost HostA { get; private set; } = null!;
    public ServiceHost? HostB { get; private set; }

    /// <summary>Starts the servers and returns the service settings that point at them.</summary>
    protected abstract Task<IReadOnlyDictionary<string, string>> StartBackendAsync();

    protected abstract ValueTask StopBackendAsync();

    public async Task InitializeAsync()
    {
        var settings = await StartBackendAsync();
        HostA = await ServiceHost.StartAsync(settings);
        if (TwoInstances)
            HostB = await ServiceHost.StartAsync(settings);
        // Every instance has its connections up before the first test times a lease.
        await HostA.WaitUntilReadyAsync();
        if (HostB is not null)
            await HostB.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        if (HostB is not null)
            await HostB.DisposeAsync();
        if (HostA is not null)
            await HostA.DisposeAsync();
        await StopBackendAsync();
    }
}
