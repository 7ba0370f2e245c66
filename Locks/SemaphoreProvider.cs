using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Locks;

/// <summary>
/// The shared half of every semaphore backend. A permit is a hold of the name that admits
/// <see cref="LockRequest.MaxHolders"/> holders instead of one, so everything a lock provider does
/// around its backend (validation, holder tokens, wait bounds, error wrapping, clean-up of an abandoned
/// attempt, the self-renewing handle with its lost signal, metrics, disposal) runs here through the very
/// same <see cref="LockProvider"/> code: the provider drives an inner one whose three backend calls are
/// this class's. A backend supplies acquire (reading <see cref="LockRequest.MaxHolders"/>), renew and
/// release by holder token.
/// </summary>
public abstract class SemaphoreProvider : ISemaphore
{
    private readonly PermitProvider _permits;

    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected SemaphoreProvider(LockOptions options, ILogger? logger)
    {
        _permits = new PermitProvider(this, options, logger);
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

    /// <inheritdoc/>
    public abstract string Backend { get; }

    /// <inheritdoc/>
    public abstract string Endpoint { get; }

    /// <inheritdoc/>
    public virtual bool SupportsFencing => true;

    /// <summary>Shortest TTL this backend can honour; acquire and renew refuse a shorter one up front.</summary>
    public virtual TimeSpan MinimumTtl => LockOptions.MinimumTtl;

    /// <summary>Longest TTL this backend can honour; acquire and renew refuse a longer one up front.</summary>
    public virtual TimeSpan MaximumTtl => LockOptions.MaximumTtl;

    /// <summary>Request counts and meters for this provider; backends count every request they send here.</summary>
    public LockMetrics Metrics => _permits.Metrics;

    /// <summary>
    /// Gets a permit for <paramref name="request"/> (at most <see cref="LockRequest.MaxHolders"/> holders of
    /// the name at once, handed out first come, first served), waiting by notification while
    /// <see cref="LockRequest.WaitExpired"/> is false. Returns null when the wait ran out; throws
    /// <see cref="SemaphoreCountMismatchException"/> when the name is in use with another max count. If it
    /// throws or is cancelled after sending anything, the attempt is abandoned as for a lock
    /// (<see cref="LockRequest.Attempt"/>, else a release by the request's holder token).
    /// </summary>
    protected abstract Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the permit if <paramref name="holderToken"/> still holds one of <paramref name="name"/>; false otherwise, changing nothing.</summary>
    protected abstract Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Releases the permit of <paramref name="holderToken"/> (handing it to the longest waiter); false when it holds none, changing nothing.</summary>
    protected abstract Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken);

    /// <summary>True when the backend bounds every call itself, as <see cref="LockProvider"/>'s.</summary>
    protected virtual bool BoundsEveryCall => false;

    /// <summary>Frees backend resources (connections, sessions) after live permits were released.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public async Task<ILockHandle> AcquireAsync(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        var permit = await _permits.AcquireInternalAsync(name, validWait, ttl, cancellationToken, ValidateMaxCount(maxCount)).ConfigureAwait(false);
        return permit ?? throw new LockTimeoutException(name, Backend, Endpoint, validWait ?? TimeSpan.Zero);
    }

    /// <inheritdoc/>
    public Task<ILockHandle?> TryAcquireAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        return _permits.AcquireInternalAsync(name, validWait, ttl, cancellationToken, ValidateMaxCount(maxCount));
    }

    /// <inheritdoc/>
    public ILockHandle Acquire(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireAsync(name, maxCount, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle? TryAcquire(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => TryAcquireAsync(name, maxCount, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Takes a permit as a bare lease, for holders with no handle in this process (the REST service): nothing
    /// renews it; the holder renews it with <see cref="RenewAsync"/> by its token or it frees itself after its TTL.
    /// </summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="maxCount">Permits of the name: 1 to <see cref="int.MaxValue"/>, the same for every client of the name.</param>
    /// <param name="wait">How long to wait for a permit: zero (the default) answers at once; at most 365 days.</param>
    /// <param name="ttl">Lease length: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; nothing is left behind.</param>
    /// <returns>The permit's lease, or null when every permit stayed taken through <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentException">The name, max count, wait or TTL is out of range.</exception>
    /// <exception cref="SemaphoreCountMismatchException">The name is in use with another max count.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<LockLease?> TryAcquireLeaseAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        return _permits.AcquireLeaseInternalAsync(name, validWait, ttl, cancellationToken, ValidateMaxCount(maxCount));
    }

    /// <summary>Extends a permit by its holder token, for holders with no handle in this process. False, changing nothing, when the token holds no permit of <paramref name="name"/>.</summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The permit's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="ttl">New lease length from now: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the permit was extended.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => _permits.RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Releases a permit by its holder token. False, changing nothing, when the token holds no permit of <paramref name="name"/>.</summary>
    /// <param name="name">Semaphore name: 1 to 256 characters, no control characters.</param>
    /// <param name="holderToken">The permit's secret (<see cref="ILockHandle.HolderToken"/>): 1 to 128 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the permit was released.</returns>
    /// <exception cref="ArgumentException">The name or holder token is invalid.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    public Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default)
        => _permits.ReleaseAsync(name, holderToken, cancellationToken);

    /// <summary>Releases every permit this provider's handles still hold, then frees the backend's resources. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _permits.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The renewal seam of the permits' handles, as <see cref="LockProvider.RenewalPath"/>.</summary>
    internal Internal.IRenewalPath? RenewalPath
    {
        get => _permits.RenewalPath;
        set => _permits.RenewalPath = value;
    }

    private static int ValidateMaxCount(int maxCount)
        => maxCount >= 1
            ? maxCount
            : throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount,
                $"A semaphore's max count must be at least 1 and at most {int.MaxValue} (int.MaxValue); it was {maxCount}.");

    /// <summary>The lock machinery, pointed at this semaphore's backend calls.</summary>
    private sealed class PermitProvider(SemaphoreProvider semaphore, LockOptions options, ILogger? logger) : LockProvider(options, logger)
    {
        public override string Backend => semaphore.Backend;
        public override string Endpoint => semaphore.Endpoint;
        public override bool SupportsFencing => semaphore.SupportsFencing;
        public override TimeSpan MinimumTtl => semaphore.MinimumTtl;
        public override TimeSpan MaximumTtl => semaphore.MaximumTtl;
        protected override bool BoundsEveryCall => semaphore.BoundsEveryCall;

        protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
            => semaphore.AcquireCoreAsync(request, cancellationToken);

        protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
            => semaphore.RenewCoreAsync(name, holderToken, ttl, cancellationToken);

        protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
            => semaphore.ReleaseCoreAsync(name, holderToken, cancellationToken);

        protected override ValueTask DisposeCoreAsync() => semaphore.DisposeCoreAsync();
    }
}
