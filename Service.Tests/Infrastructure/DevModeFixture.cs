namespace Coord.Service.Tests.Infrastructure;

/// <summary>A dev-mode instance (nothing configured but a port and, here, an API key), in this process.</summary>
public sealed class DevModeFixture : IAsyncLifetime
{
    public ServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServiceHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
