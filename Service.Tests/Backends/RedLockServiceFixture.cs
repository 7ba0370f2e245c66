using Coord.Testing;

namespace Coord.Service.Tests.Backends;

/// <summary>Three independent redis masters behind the redlock backend; no fencing tokens.</summary>
public sealed class RedLockServiceFixture : ServerBackedFixture<RedisMasters>
{
    public override string BackendName => "redlock";
    public override bool HasFencing => false;
    protected override bool TwoInstances => false;

    protected override Task<RedisMasters> StartServersAsync() => RedisMasters.StartAsync(3);

    protected override Task<Dictionary<string, string>> SettingsAsync(RedisMasters masters)
    {
        var settings = new Dictionary<string, string> { ["Coord:Locks:Backends:redlock:Type"] = "redlock" };
        for (var i = 0; i < masters.ConnectionStrings.Count; i++)
            settings[$"Coord:Locks:Backends:redlock:Masters:{i}"] = masters.ConnectionStrings[i];
        return Task.FromResult(settings);
    }
}
