using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// The shared half of the primitives whose holds are a lock's holds with another admission rule: semaphore
/// permits (<see cref="SemaphoreProvider"/>: up to <see cref="LockRequest.MaxHolders"/> holders of a name)
/// and reader-writer holds (<see cref="ReaderWriterLockProvider"/>: shared readers, or one writer, see
/// <see cref="LockRequest.IsShared"/>). Everything a lock provider does around its backend runs through the very
/// same <see cref="LockProvider"/> code (<see cref="PrimitiveProvider"/>). A backend supplies acquire (reading
/// <see cref="LockRequest.MaxHolders"/> and <see cref="LockRequest.IsShared"/>), renew and release by holder token:
/// Coord's own backends through an engine they hand to the constructor, any other by overriding the three calls.
/// </summary>
/// <remarks>
/// A backend derives from <see cref="SemaphoreProvider"/> or <see cref="ReaderWriterLockProvider"/>, which add the
/// public acquire methods; a class derived from this one directly could renew and release, but never acquire.
/// </remarks>
public abstract class HoldProvider : PrimitiveProvider
{
    /// <inheritdoc cref="PrimitiveProvider(LockOptions, ILogger?)"/>
    /// <remarks>A provider built this way overrides <see cref="PrimitiveProvider.Backend"/>, <see cref="PrimitiveProvider.Endpoint"/>, <see cref="AcquireCoreAsync"/>, <see cref="RenewCoreAsync"/> and <see cref="ReleaseCoreAsync"/>.</remarks>
    protected HoldProvider(LockOptions options, ILogger? logger)
        : base(options, logger)
    {
    }

    /// <summary>A provider whose backend calls are <paramref name="engine"/>'s, built once the provider's metrics exist.</summary>
    private protected HoldProvider(LockOptions options, ILogger? logger, string backend, Func<HoldEngineServices, IHoldEngine> engine)
        : base(options, logger, backend)
        => RunOn(engine(EngineServices));

    /// <summary>False when the backend cannot issue fencing tokens that a downstream resource can trust.</summary>
    public virtual bool SupportsFencing => true;

    /// <summary>
    /// Gets a hold for <paramref name="request"/>, handed out first come, first served: a shared hold
    /// (<see cref="LockRequest.IsShared"/>) while fewer than <see cref="LockRequest.MaxHolders"/> hold the name
    /// and none of them exclusively, an exclusive one while nobody holds it; a request that finds others
    /// waiting joins the back of their line. Waits by notification while <see cref="LockRequest.WaitExpired"/>
    /// is false; returns null when the wait ran out. If it throws or is cancelled after sending anything, the
    /// attempt is abandoned as for a lock (<see cref="LockRequest.Attempt"/>, else a release by the request's
    /// holder token).
    /// </summary>
    protected virtual Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => Holds(nameof(AcquireCoreAsync)).AcquireAsync(request, cancellationToken);

    /// <summary>Extends the hold if <paramref name="holderToken"/> still holds <paramref name="name"/>; false otherwise, changing nothing.</summary>
    protected virtual Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => Holds(nameof(RenewCoreAsync)).RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Releases the hold of <paramref name="holderToken"/> (handing what it frees to the longest waiters); false when it holds none, changing nothing.</summary>
    protected virtual Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => Holds(nameof(ReleaseCoreAsync)).ReleaseAsync(name, holderToken, cancellationToken);

    /// <summary>Extends a hold by its holder token, for holders with no handle in this process. False, changing nothing, when the token holds nothing of <paramref name="name"/>.</summary>
    /// <param name="name">Name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="ttl">New lease length from now: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was extended.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => Inner.RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Releases a hold by its holder token. False, changing nothing, when the token holds nothing of <paramref name="name"/>.</summary>
    /// <param name="name">Name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The hold's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the hold was released.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default)
        => Inner.ReleaseAsync(name, holderToken, cancellationToken);

    /// <summary>
    /// The acquire of every derived primitive: validates the wait, takes a hold through the lock's machinery,
    /// and throws <see cref="LockTimeoutException"/> instead of returning null when <paramref name="throwOnTimeout"/>.
    /// </summary>
    private protected async Task<ILockHandle?> AcquireHoldAsync(string name, TimeSpan? wait, TimeSpan? ttl, int maxHolders, bool isShared, bool throwOnTimeout, CancellationToken cancellationToken)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        var hold = await Inner.AcquireInternalAsync(name, validWait, ttl, cancellationToken, maxHolders, isShared).ConfigureAwait(false);
        return hold is null && throwOnTimeout ? throw new LockTimeoutException(name, Backend, Endpoint, validWait ?? TimeSpan.Zero) : hold;
    }

    /// <summary>
    /// A hold as a bare lease, for holders with no handle in this process (the REST service): nothing renews it;
    /// the holder renews it by its token with <see cref="RenewAsync"/> or it frees itself after its TTL.
    /// </summary>
    private protected Task<LockLease?> AcquireLeaseAsync(string name, TimeSpan wait, TimeSpan? ttl, int maxHolders, bool isShared, CancellationToken cancellationToken)
        => Inner.AcquireLeaseInternalAsync(name, LockValidation.ValidateWait(wait, nameof(wait)), ttl, cancellationToken, maxHolders, isShared);

    private protected sealed override bool InnerSupportsFencing => SupportsFencing;

    private protected sealed override Task<LockGrant?> InnerAcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => AcquireCoreAsync(request, cancellationToken);

    private protected sealed override Task<bool> InnerRenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    private protected sealed override Task<bool> InnerReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ReleaseCoreAsync(name, holderToken, cancellationToken);
}
