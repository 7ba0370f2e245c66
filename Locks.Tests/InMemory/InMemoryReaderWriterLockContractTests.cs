using Coord.Locks.InMemory;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.InMemory;

public sealed class InMemoryReaderWriterLockContractTests : ReaderWriterLockContractTests
{
    // One store per test class: the clients of a test share it as processes share a server.
    private readonly InMemoryLockStore _store = new(TimeProvider.System);

    protected override Task<ReaderWriterLockProvider> CreateClientCoreAsync()
        => Task.FromResult<ReaderWriterLockProvider>(new InMemoryReaderWriterLock(new InMemoryLockOptions { Store = _store }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
    {
        // Another client ending the hold by its token: the holder hears of it at its next renewal.
        var other = await CreateClientAsync();
        Assert.True(await other.ReleaseAsync(name, holderToken), $"'{holderToken}' held nothing of '{name}'");
    }

    protected override Task<int> WaitingAsync(string name) => Task.FromResult(InMemorySemaphoreState.ReaderWritersOf(_store).Waiting(name));

    [Fact]
    public async Task Names_with_no_holder_and_no_waiter_are_forgotten()
    {
        var client = await CreateClientAsync();
        var state = InMemorySemaphoreState.ReaderWritersOf(_store);
        var write = await client.AcquireWriteLockAsync(NewName("forget"));
        Assert.Equal(1, state.ActiveNames);
        await write.ReleaseAsync();
        Assert.Equal(0, state.ActiveNames);
    }

    [Fact]
    public async Task A_reader_writer_lock_a_semaphore_and_a_lock_of_the_same_name_are_unrelated()
    {
        var name = NewName("apart");
        var rw = await CreateClientAsync();
        await using var locks = new InMemoryLock(new InMemoryLockOptions { Store = _store });
        await using var semaphores = new InMemorySemaphore(new InMemoryLockOptions { Store = _store });
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphores.AcquireAsync(name, 1);
        await using var write = await rw.TryAcquireWriteLockAsync(name);
        Assert.NotNull(write);
        Assert.Null(await semaphores.TryAcquireAsync(name, 1));
    }
}
