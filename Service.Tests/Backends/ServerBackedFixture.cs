namespace Coord.Service.Tests.Backends;

/// <summary>A backend fixture over throwaway servers of type <typeparamref name="TServers"/>, stopped with the fixture.</summary>
public abstract class ServerBackedFixture<TServers> : BackendServiceFixture
    where TServers : class, IAsyncDisposable
{
    private TServers? _servers;

    protected abstract Task<TServers> StartServersAsync();

    /// <summary>The service settings that point the backend named <see cref="BackendServiceFixture.BackendName"/> at the servers.</summary>
    protected abstract Task<Dictionary<string, string>> SettingsAsync(TServers servers);

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _servers = await StartServersAsync();
        return await SettingsAsync(_servers);
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_servers is not null)
            await _servers.DisposeAsync();
    }
}
