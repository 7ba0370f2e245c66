using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>Three independent redis masters behind the redlock backend; no fencing tokens.</summary>
public sealed class RedLockServiceFixture : BackendServiceFixture
{
    private RedisMasters? _masters;

    public override string BackendName => "redlock";
    public override bool HasFencing => false;
    protected override bool TwoInstances => false;

    protected override async Task<IReadOnlyDictionary<string, string>> StartBackendAsync()
    {
        _masters = await RedisMasters.StartAsync(3);
        var settings = new Dictionary<string, string> { ["Coord:Locks:Backends:redlock:Type"] = "redlock" };
        for (var i = 0; i < _masters.ConnectionStrings.Count; i++)
            settings[$"Coord:Locks:Backends:redlock:Masters:{i}"] = _masters.ConnectionStrings[i];
        return settings;
    }

    protected override async ValueTask StopBackendAsync()
    {
        if (_masters is not null)
            await _masters.DisposeAsync();
    }
}
