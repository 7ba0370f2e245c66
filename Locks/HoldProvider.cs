using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Locks;

/// <summary>
/// The shared half of the primitives whose holds are a lock's holds with another admission rule: semaphore
/// permits (<see cref="SemaphoreProvider"/>: up to <see cref="LockRequest.MaxHolders"/> holders of a name)
/// and reader-writer holds (<see cref="ReaderWriterLockProvider"/>: shared readers, or one writer, see
/// <see cref="LockRequest.IsShared"/>). Everything a lock provider does around its backend (validation,
/// holder tokens, wait bounds, error wrapping, clean-up of an abandoned attempt, the self-renewing handle
/// with its lost signal, metrics, disposal) runs here through the very same <see cref="LockProvider"/> code:
/// this class drives an inner one whose three backend calls are the derived class's. A backend supplies
/// acquire (reading <see cref="LockRequest.MaxHolders"/> and <see cref="LockRequest.IsShared"/>), renew and
/// release by holder token.
/// </summary>
/// <remarks>
/// A backend derives from <see cref="SemaphoreProvider"/> or <see cref="ReaderWriterLockProvider"/>, which add the
/// public acquire methods; a class derived from this one directly could renew and release, but never acquire.
/// </remarks>
public abstract class HoldProvider : IAsyncDisposable
{
    private readonly InnerLockProvider _holds;

    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected HoldProvider(LockOptions options, ILogger? logger)
    {
        _holds = new InnerLockProvider(this, options, logger);
        Options = options;
        Time = options.TimeProvider;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The validated settings this provider was built with.</summary>
    protected LockOptions Options { get; }

    /// <summary>The only clock the provider and its backend may read (<see cref="LockOptions.TimeProvider"/>).</summary>
    protected TimeProvider Time { get; }

    /// <summary>The provider's logger; never null.</summary>
    protected ILogger Logger { get; }

    /// <summary>Short backend name used in errors and metrics, e.g. <c>redis</c>.</summary>
    public abstract string Backend { get; }

    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    public abstract string Endpoint { get; }

    /// <summary>False when the backend cannot issue fencing tokens that a downstream resource can trust.</summary>
    public virtual bool SupportsFencing => true;

    /// <summary>Shortest TTL this backend can honour; acquire and renew refuse a shorter one up front.</summary>
    public virtual TimeSpan MinimumTtl => LockOptions.MinimumTtl;

    /// <summary>Longest TTL this backend can honour; acquire and renew refuse a longer one up front.</summary>
    public virtual TimeSpan MaximumTtl => LockOptions.MaximumTtl;

    /// <summary>Request counts and meters for this provider; backends count every request they send here.</summary>
    public LockMetrics Metrics => _holds.Metrics;

    /// <summary>
    /// Gets a hold for <paramref name="request"/>, handed out first come, first served: a shared hold
    /// (<see cref="LockRequest.IsShared"/>) while fewer than <see cref="LockRequest.MaxHolders"/> hold the name
    /// and none of them exclusively, an exclusive one while nobody holds it; a request that finds others
    /// waiting joins the back of their line. Waits by notification while <see cref="LockRequest.WaitExpired"/>
    /// is false; returns null when the wait ran out. If it throws or is cancelled after sending anything, the
    /// attempt is abandoned as for a lock (<see cref="LockRequest.Attempt"/>, else a release by the request's
    /// holder token).
    /// </summary>
    protected abstract Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the hold if <paramref name="holderToken"/> still holds <paramref name="name"/>; false otherwise, changing nothing.</summary>
    protected abstract Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Releases the hold of <paramref name="holderToken"/> (handing what it frees to the longest waiters); false when it holds none, changing nothing.</summary>
    protected abstract Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken);

    /// <summary>True when the backend bounds every call itself, as <see cref="LockProvider"/>'s.</summary>
    protected virtual bool BoundsEveryCall => false;

    /// <summary>Frees backend resources (connections, sessions) after live holds were released.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <summary>Extends a hold by its holder token, for holders with no handle in this process. False, changing nothing, when the token holds nothing of <paramref name="name"/>.</summary>
    /// <param name="name">Name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="ttl">New lease length from now: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was extended.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => _holds.RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Releases a hold by its holder token. False, changing nothing, when the token holds nothing of <paramref name="name"/>.</summary>
    /// <param name="name">Name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was released.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default)
        => _holds.ReleaseAsync(name, holderToken, cancellationToken);

    /// <summary>Releases every hold this provider's handles still have, then frees the backend's resources. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _holds.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The acquire of every derived primitive: validates the wait, takes a hold through the lock's machinery,
    /// and throws <see cref="LockTimeoutException"/> instead of returning null when <paramref name="throwOnTimeout"/>.
    /// </summary>
    private protected async Task<ILockHandle?> AcquireHoldAsync(string name, TimeSpan? wait, TimeSpan? ttl, int maxHolders, bool isShared, bool throwOnTimeout, CancellationToken cancellationToken)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        var hold = await _holds.AcquireInternalAsync(name, validWait, ttl, cancellationToken, maxHolders, isShared).ConfigureAwait(false);
        return hold is null && throwOnTimeout ? throw new LockTimeoutException(name, Backend, Endpoint, validWait ?? TimeSpan.Zero) : hold;
    }

    /// <summary>
    /// A hold as a bare lease, for holders with no handle in this process (the REST service): nothing renews it;
    /// the holder renews it by its token with <see cref="RenewAsync"/> or it frees itself after its TTL.
    /// </summary>
    private protected Task<LockLease?> AcquireLeaseAsync(string name, TimeSpan wait, TimeSpan? ttl, int maxHolders, bool isShared, CancellationToken cancellationToken)
        => _holds.AcquireLeaseInternalAsync(name, LockValidation.ValidateWait(wait, nameof(wait)), ttl, cancellationToken, maxHolders, isShared);

    /// <summary>The renewal seam of the handles, as <see cref="LockProvider.RenewalPath"/>.</summary>
    internal Internal.IRenewalPath? RenewalPath
    {
        get => _holds.RenewalPath;
        set => _holds.RenewalPath = value;
    }

    /// <summary>The lock machinery, pointed at this provider's backend calls.</summary>
    private sealed class InnerLockProvider(HoldProvider outer, LockOptions options, ILogger? logger) : LockProvider(options, logger)
    {
        public override string Backend => outer.Backend;
        public override string Endpoint => outer.Endpoint;
        public override bool SupportsFencing => outer.SupportsFencing;
        public override TimeSpan MinimumTtl => outer.MinimumTtl;
        public override TimeSpan MaximumTtl => outer.MaximumTtl;
        protected override bool BoundsEveryCall => outer.BoundsEveryCall;

        protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
            => outer.AcquireCoreAsync(request, cancellationToken);

        protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
            => outer.RenewCoreAsync(name, holderToken, ttl, cancellationToken);

        protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
            => outer.ReleaseCoreAsync(name, holderToken, cancellationToken);

        protected override ValueTask DisposeCoreAsync() => outer.DisposeCoreAsync();
    }
}
