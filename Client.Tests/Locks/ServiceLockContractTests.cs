using Coord.Client.Tests.Infrastructure;
using Coord.Locks;
using Coord.Locks.Tests.Contract;

namespace Coord.Client.Tests.Locks;

/// <summary>
/// The backends' lock contract, run through Coord.Client against the service as a separate process: each
/// contract client is a <see cref="CoordClient"/> with its own connections.
/// </summary>
public abstract class ServiceLockContractTests(ServiceFixture service) : LockContractTests
{
    private readonly List<CoordClient> _clients = [];

    protected override Task<LockProvider> CreateClientCoreAsync()
    {
        var client = service.NewClient();
        lock (_clients)
            _clients.Add(client);
        return Task.FromResult<LockProvider>(client.Locks);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var client in _clients)
            await client.DisposeAsync();
    }
}
