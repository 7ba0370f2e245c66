using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>
/// Locks inside one process: the service's zero-setup dev mode and examples. Same contract as the
/// distributed backends (leases, holder tokens, fencing, FIFO hand-off), no server.
/// </summary>
public sealed class InMemoryLock : LockProvider
{
    private readonly InMemoryLockStore _store;

    /// <summary>Creates an in-process lock provider over <see cref="InMemoryLockOptions.Store"/>.</summary>
    /// <param name="options">Settings; null uses the defaults and the process-wide store.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public InMemoryLock(InMemoryLockOptions? options = null, ILogger<InMemoryLock>? logger = null)
        : base(options ??= new InMemoryLockOptions(), logger)
    {
        _store = options.Store;
    }

    /// <inheritdoc/>
    public override string Backend => "inmemory";

    /// <inheritdoc/>
    public override string Endpoint => "this process";

    internal InMemoryLockStore Store => _store;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        Metrics.Request("acquire");
        return _store.AcquireAsync(request, cancellationToken);
    }

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Metrics.Request("renew");
        return Task.FromResult(_store.Renew(name, holderToken, ttl));
    }

    /// <inheritdoc/>
    protected override Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        Metrics.Request("status");
        return Task.FromResult(_store.Status(name));
    }

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        Metrics.Request("release");
        return Task.FromResult(_store.Release(name, holderToken));
    }
}
