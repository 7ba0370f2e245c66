using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.BadRequests;

/// <summary>An instance with an API key, segment tags that must exist, and one lock held throughout, which no bad request may disturb.</summary>
public sealed class BadRequestFixture : IAsyncLifetime
{
    public const string HeldName = "held/by-the-fixture";

    public ServiceHost Host { get; private set; } = null!;
    public LockApi Locks { get; private set; } = null!;
    public LockApi.Lease Held { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await ServiceHost.StartAsync(new Dictionary<string, string>
        {
            ["Coord:Locks:Backends:memory:Type"] = "inmemory",
            ["Coord:Ids:Segment:AutoCreateTags"] = "false",
        });
        Locks = new LockApi(Host.Client);
        Held = await Locks.HoldAsync(HeldName, ttlMs: 600_000);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
