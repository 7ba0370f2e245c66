using Coord.Locks.InMemory;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.InMemory;

public sealed class InMemoryLeaderElectionContractTests : LeaderElectionContractTests
{
    // One store per test class: the clients of a test share it as processes share a server.
    private readonly InMemoryLockStore _store = new(TimeProvider.System);

    protected override Task<LeaderElectionProvider> CreateClientCoreAsync()
        => Task.FromResult<LeaderElectionProvider>(new InMemoryLeaderElection(new InMemoryLockOptions { Store = _store }));

    protected override Task<LockProvider> CreateLockClientAsync()
        => Task.FromResult<LockProvider>(new InMemoryLock(new InMemoryLockOptions { Store = _store }));

    protected override Task TakeAwayAsync(string election)
    {
        Assert.True(InMemoryElectionState.Of(_store).Holds.ExpireNow(election), $"nobody led '{election}'");
        return Task.CompletedTask;
    }

    protected override Task<int> CandidatesAsync(string election)
    {
        var state = InMemoryElectionState.Of(_store);
        // The leader and those in line: every candidate's value is kept until it resigns or withdraws.
        return Task.FromResult(state.Candidates);
    }
}
