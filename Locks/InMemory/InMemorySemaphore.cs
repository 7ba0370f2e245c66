using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>
/// Semaphores inside one process, for the service's zero-setup dev mode and examples. Same contract as the
/// distributed backends (leases, holder tokens, fencing, FIFO hand-off, one max count per name in use).
/// Permits live beside the locks of <see cref="InMemoryLockOptions.Store"/>: providers given the same store
/// share semaphores, as they share locks; a semaphore and a lock of the same name are unrelated.
/// </summary>
public sealed class InMemorySemaphore : SemaphoreProvider
{
    private readonly InMemorySemaphoreState _state;

    /// <summary>Creates an in-process semaphore provider over <see cref="InMemoryLockOptions.Store"/>.</summary>
    /// <param name="options">Settings; null uses the defaults and the process-wide store of the system clock.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public InMemorySemaphore(InMemoryLockOptions? options = null, ILogger<InMemorySemaphore>? logger = null)
        : base(options ??= new InMemoryLockOptions(), logger)
    {
        _state = InMemorySemaphoreState.Of(options.Store);
    }

    /// <inheritdoc/>
    public override string Backend => "inmemory";

    /// <inheritdoc/>
    public override string Endpoint => "this process";

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        Metrics.Request("acquire");
        return _state.AcquireAsync(request, this, cancellationToken);
    }

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Metrics.Request("renew");
        return Task.FromResult(_state.Renew(name, holderToken, ttl));
    }

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        Metrics.Request("release");
        return Task.FromResult(_state.Release(name, holderToken));
    }
}
