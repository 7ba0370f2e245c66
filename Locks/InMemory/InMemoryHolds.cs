namespace Coord.Locks.InMemory;

/// <summary>
/// The engine of <see cref="InMemorySemaphore"/> and <see cref="InMemoryReaderWriterLock"/>: one provider's view of
/// the holds of its primitive in a store (<see cref="InMemorySemaphoreState"/>, shared by every provider of that
/// store), counting the provider's requests in its metrics.
/// </summary>
/// <param name="state">The holds of one primitive in one store.</param>
/// <param name="metrics">The provider's request counts.</param>
internal sealed class InMemoryHolds(InMemorySemaphoreState state, LockMetrics metrics) : IHoldEngine
{
    /// <summary>The backend name of the in-memory primitives.</summary>
    public const string Backend = "inmemory";

    /// <summary>Where the in-memory primitives' holds live, for errors.</summary>
    public const string EndpointName = "this process";

    public string Endpoint => EndpointName;

    // Nothing here goes over a network: the provider's own timer bounds a wait, as for the in-memory lock.
    public bool BoundsEveryCall => false;

    public Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        metrics.Request("acquire");
        return state.AcquireAsync(request, cancellationToken);
    }

    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        metrics.Request("renew");
        return Task.FromResult(state.Renew(name, holderToken, ttl));
    }

    public Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        metrics.Request("release");
        return Task.FromResult(state.Release(name, holderToken));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
