using Coord.Locks.InMemory;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.InMemory;

public sealed class InMemorySemaphoreContractTests : SemaphoreContractTests
{
    // One store per test class: the clients of a test share it as processes share a server.
    private readonly InMemoryLockStore _store = new(TimeProvider.System);

    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
        => Task.FromResult<SemaphoreProvider>(new InMemorySemaphore(new InMemoryLockOptions { Store = _store }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
    {
        // Another client ending the permit by its token: the holder hears of it at its next renewal.
        var other = await CreateClientAsync();
        Assert.True(await other.ReleaseAsync(name, holderToken), $"'{holderToken}' held no permit of '{name}'");
    }

    protected override Task<int> WaitingAsync(string name) => Task.FromResult(InMemorySemaphoreState.Of(_store).Waiting(name));

    [Fact]
    public async Task Names_with_no_holder_and_no_waiter_are_forgotten()
    {
        var client = await CreateClientAsync();
        var state = InMemorySemaphoreState.Of(_store);
        var permit = await client.AcquireAsync(NewName("forget"), 2);
        Assert.Equal(1, state.ActiveNames);
        await permit.ReleaseAsync();
        Assert.Equal(0, state.ActiveNames);
    }

    [Fact]
    public async Task A_semaphore_and_a_lock_of_the_same_name_are_unrelated()
    {
        var name = NewName("apart");
        var semaphore = await CreateClientAsync();
        await using var locks = new InMemoryLock(new InMemoryLockOptions { Store = _store });
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphore.TryAcquireAsync(name, 1);
        Assert.NotNull(permit);
    }
}
