namespace Coord.Service.Tests.Backends;

/// <summary>The dev-mode backend, configured explicitly; one instance (in-memory holds live in one process).</summary>
public sealed class InMemoryServiceFixture : BackendServiceFixture
{
    public override string BackendName => "memory";
    protected override bool TwoInstances => false;

    protected override Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
        => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:memory:Type"] = "inmemory",
        });

    protected override ValueTask StopBackendAsync() => ValueTask.CompletedTask;
}
