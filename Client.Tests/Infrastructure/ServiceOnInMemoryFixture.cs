namespace Coord.Client.Tests.Infrastructure;

/// <summary>The service over its in-memory backend: every client of the fixture shares the one service process's elections.</summary>
public sealed class ServiceOnInMemoryFixture : ServiceFixture
{
    protected override Task<(string Type, IReadOnlyDictionary<string, string> Settings)> StartBackendAsync()
        => Task.FromResult<(string, IReadOnlyDictionary<string, string>)>(("inmemory", new Dictionary<string, string>()));

    protected override Task StopBackendAsync() => Task.CompletedTask;
}
