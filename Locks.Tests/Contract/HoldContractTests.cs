namespace Coord.Locks.Tests.Contract;

/// <summary>
/// What the contract suites of the primitives built on <see cref="HoldProvider"/> (semaphores, reader-writer
/// locks) need from a backend and share between them: clients that stand in for separate processes (each with its
/// own connections, disposed after the test), a way behind a holder's back, and the length of the line.
/// </summary>
public abstract class HoldContractTests<TProvider> : IAsyncLifetime
    where TProvider : HoldProvider
{
    private readonly List<TProvider> _clients = [];

    /// <summary>A new client with its own connections to the backend.</summary>
    protected abstract Task<TProvider> CreateClientCoreAsync();

    /// <summary>Ends the hold of <paramref name="holderToken"/> directly on the backend, behind its holder's back.</summary>
    protected abstract Task TakeAwayAsync(string name, string holderToken);

    /// <summary>How many wait in line for <paramref name="name"/>, read from the backend's own state.</summary>
    protected abstract Task<int> WaitingAsync(string name);

    /// <summary>
    /// False where a hold's TTL is kept by the process that acquired it (ZooKeeper: an ephemeral node of its
    /// session), so only that client renews it and another says so with a <see cref="LockException"/>.
    /// </summary>
    protected virtual bool CanRenewFromAnotherClient => true;

    /// <summary>A TTL short enough to watch expiry in a test, long enough for the backend to accept it.</summary>
    protected virtual TimeSpan ShortTtl => TimeSpan.FromSeconds(2);

    /// <summary>Bound for things that must simply not hang; generous because the CI machine is small and shared.</summary>
    protected static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);

    protected async Task<TProvider> CreateClientAsync()
    {
        var client = await CreateClientCoreAsync();
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    protected static string NewName(string hint) => $"contract/{hint}/{Guid.NewGuid():N}";

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        TProvider[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }

    /// <summary>Waits (by looking again, bounded) until the backend shows <paramref name="count"/> waiters in line.</summary>
    protected async Task UntilWaitingAsync(string name, int count)
    {
        var deadline = DateTime.UtcNow + NoHang;
        int waiting;
        while ((waiting = await WaitingAsync(name)) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{waiting} waited in line for '{name}', not {count}");
            await Task.Delay(10);
        }
    }
}
