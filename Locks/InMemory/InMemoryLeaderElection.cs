using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>
/// Leader elections inside one process, for the service's zero-setup dev mode and examples. Same contract as the
/// distributed backends (leases, FIFO candidates, rising terms, observe). Elections live beside the locks of
/// <see cref="InMemoryLockOptions.Store"/>: providers given the same store share elections; an election and a
/// lock of the same name are unrelated.
/// </summary>
public sealed class InMemoryLeaderElection : LeaderElectionProvider
{
    private readonly InMemoryElectionState _state;

    /// <summary>Creates an in-process election provider over <see cref="InMemoryLockOptions.Store"/>.</summary>
    /// <param name="options">Settings; null uses the defaults and the process-wide store of the system clock.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public InMemoryLeaderElection(InMemoryLockOptions? options = null, ILogger<InMemoryLeaderElection>? logger = null)
        : base(options ??= new InMemoryLockOptions(), logger)
    {
        _state = InMemoryElectionState.Of(options.Store);
    }

    /// <inheritdoc/>
    public override string Backend => "inmemory";

    /// <inheritdoc/>
    public override string Endpoint => "this process";

    /// <inheritdoc/>
    protected override Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        Metrics.Request("campaign");
        return _state.CampaignAsync(request, value, cancellationToken);
    }

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Metrics.Request("renew");
        return Task.FromResult(_state.Renew(election, holderToken, ttl));
    }

    /// <inheritdoc/>
    protected override Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        Metrics.Request("resign");
        return Task.FromResult(_state.Resign(election, holderToken));
    }

    /// <inheritdoc/>
    protected override Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
    {
        Metrics.Request("proclaim");
        return Task.FromResult(_state.Proclaim(election, holderToken, value));
    }

    /// <inheritdoc/>
    protected override Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
    {
        Metrics.Request("leader");
        return Task.FromResult(_state.Leader(election));
    }

    /// <inheritdoc/>
    protected override IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, CancellationToken cancellationToken)
    {
        Metrics.Request("observe");
        return _state.ObserveAsync(election, cancellationToken);
    }
}
