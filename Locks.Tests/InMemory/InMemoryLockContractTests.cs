using Coord.Locks.InMemory;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.InMemory;

public sealed class InMemoryLockContractTests : LockContractTests
{
    // One store per test class: the clients of a test share it as processes share a server.
    private readonly InMemoryLockStore _store = new(TimeProvider.System);

    protected override Task<LockProvider> CreateClientCoreAsync()
        => Task.FromResult<LockProvider>(new InMemoryLock(new InMemoryLockOptions { Store = _store }));

    protected override Task TakeAwayAsync(string name)
    {
        Assert.True(_store.ExpireNow(name), $"nobody held '{name}'");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Names_with_no_holder_and_no_waiter_are_forgotten()
    {
        var client = await CreateClientAsync();
        var held = await client.AcquireAsync(NewName("forget"));
        Assert.Equal(1, _store.ActiveNames);
        await held.ReleaseAsync();
        Assert.Equal(0, _store.ActiveNames);
    }
}
