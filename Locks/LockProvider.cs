using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Locks;

/// <summary>
/// The shared half of every backend: validation, holder tokens, wait bounds, error wrapping,
/// renewal, the lost signal and metrics. A backend supplies only the three calls that touch its
/// server: acquire (including its own way of waiting), renew and release by holder token.
/// </summary>
public abstract class LockProvider : ILockLeases
{
    private readonly ConcurrentDictionary<LockHandle, byte> _liveHandles = new();
    private int _disposed;

    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected LockProvider(LockOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
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

    /// <inheritdoc/>
    public virtual bool RenewsFromAnyProcess => true;

    /// <summary>Shortest TTL this backend can honour; acquire and renew refuse a shorter one up front.</summary>
    public virtual TimeSpan MinimumTtl => LockOptions.MinimumTtl;

    /// <summary>Longest TTL this backend can honour; acquire and renew refuse a longer one up front.</summary>
    public virtual TimeSpan MaximumTtl => LockOptions.MaximumTtl;

    /// <summary>Request counts and meters for this provider; backends count every request they send here.</summary>
    public LockMetrics Metrics => _metrics ??= new LockMetrics(Backend);
    private LockMetrics? _metrics;

    /// <summary>
    /// Gets the lock for <paramref name="request"/>, waiting (by notification, not polling) while
    /// <see cref="LockRequest.WaitExpired"/> is false. Returns null when the wait ran out. If it throws
    /// or is cancelled after sending anything, the provider calls <see cref="AbandonAcquireAsync"/>.
    /// </summary>
    protected abstract Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the lease if <paramref name="holderToken"/> still holds it; false otherwise, changing nothing.</summary>
    protected abstract Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Releases if <paramref name="holderToken"/> holds the lock (and wakes the next waiter); false otherwise, changing nothing.</summary>
    protected abstract Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken);

    /// <summary>
    /// Cleans up after an acquire that timed out, failed or was cancelled, so that no hold or queue
    /// entry is left behind. The token is unique to that attempt, so releasing by it is always safe.
    /// </summary>
    protected virtual Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => request.Attempt is { } attempt
            ? attempt.AbandonAsync(cancellationToken)
            : ReleaseCoreAsync(request.Name, request.HolderToken, cancellationToken);

    /// <summary>
    /// True when the backend bounds every call itself (its client library times out each request, and
    /// a waiting acquire stops at the caller's wait), so the provider need not arm a timer of its own
    /// per call: on a fast backend that timer is a measurable part of a short hold's cost.
    /// </summary>
    protected virtual bool BoundsEveryCall => false;

    /// <summary>Reads whether <paramref name="name"/> is held. Backends that cannot tell throw <see cref="NotSupportedException"/>.</summary>
    protected virtual Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
        => throw new NotSupportedException($"The {Backend} backend does not report lock status.");

    /// <summary>Frees backend resources (connections, sessions) after live holds were released.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public async Task<ILockHandle> AcquireAsync(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        var handle = await AcquireInternalAsync(name, validWait, ttl, cancellationToken).ConfigureAwait(false);
        return handle ?? throw new LockTimeoutException(name, Backend, Endpoint, validWait ?? TimeSpan.Zero);
    }

    /// <inheritdoc/>
    public Task<ILockHandle?> TryAcquireAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireInternalAsync(name, LockValidation.ValidateWait(wait, nameof(wait)), ttl, cancellationToken);

    /// <inheritdoc/>
    public ILockHandle Acquire(string name, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ILockHandle? TryAcquire(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => TryAcquireAsync(name, wait, ttl, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public Task<LockLease?> TryAcquireLeaseAsync(string name, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => AcquireLeaseInternalAsync(name, LockValidation.ValidateWait(wait, nameof(wait)), ttl, cancellationToken);

    /// <summary>The bare lease of every holder kind, as <see cref="AcquireInternalAsync"/> is the handle's.</summary>
    internal async Task<LockLease?> AcquireLeaseInternalAsync(string name, TimeSpan? wait, TimeSpan? ttl, CancellationToken cancellationToken, int maxHolders = 1, bool isShared = false)
    {
        var result = await AcquireGrantAsync(name, wait, ttl, cancellationToken, isBareLease: true, maxHolders: maxHolders, isShared: isShared).ConfigureAwait(false);
        if (result is not var (request, grant))
            return null;
        var margin = Options.DriftMarginFor(request.Ttl);
        var validUntil = Time.GetUtcNow() - Time.GetElapsedTime(grant.LeaseStartedTimestamp) + request.Ttl - margin;
        Metrics.Ended(lost: false, null); // a bare lease is not tracked as a live hold of this process
        return new LockLease(name, grant.IssuedHolderToken ?? request.HolderToken, grant.FencingToken, request.Ttl, validUntil);
    }

    /// <inheritdoc/>
    public async Task<LockStatus> GetStatusAsync(string name, CancellationToken cancellationToken = default)
    {
        LockValidation.ValidateName(name);
        ThrowIfDisposed();
        return await CallBackendAsync(name, "status", ct => GetStatusCoreAsync(name, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<bool> RenewAsync(string name, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        LockValidation.ValidateName(name);
        LockValidation.ValidateHolderToken(holderToken);
        var validTtl = LockValidation.ValidateTtl(ttl ?? Options.DefaultTtl, MinimumTtl, MaximumTtl, Backend, nameof(ttl));
        ThrowIfDisposed();
        return await CallBackendAsync(name, "renew", ct => RenewCoreAsync(name, holderToken, validTtl, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken = default)
    {
        LockValidation.ValidateName(name);
        LockValidation.ValidateHolderToken(holderToken);
        ThrowIfDisposed();
        return await CallBackendAsync(name, "release", ct => ReleaseCoreAsync(name, holderToken, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The acquire of every holder kind: <paramref name="maxHolders"/> 1 for a lock, the max count for a semaphore
    /// permit; <paramref name="isShared"/> for a permit or a reader (<see cref="LockRequest.IsShared"/>).
    /// </summary>
    internal async Task<ILockHandle?> AcquireInternalAsync(string name, TimeSpan? wait, TimeSpan? ttl, CancellationToken cancellationToken, int maxHolders = 1, bool isShared = false)
    {
        if (await AcquireGrantAsync(name, wait, ttl, cancellationToken, maxHolders: maxHolders, isShared: isShared).ConfigureAwait(false) is not var (request, grant))
            return null;
        var handle = new LockHandle(this, request, grant, Options.DriftMarginFor(request.Ttl), Time, Logger);
        _liveHandles[handle] = 0;
        handle.Start();
        return handle;
    }

    private async Task<(LockRequest Request, LockGrant Grant)?> AcquireGrantAsync(string name, TimeSpan? wait, TimeSpan? ttl, CancellationToken cancellationToken, bool isBareLease = false, int maxHolders = 1, bool isShared = false)
    {
        LockValidation.ValidateName(name);
        var validTtl = LockValidation.ValidateTtl(ttl ?? Options.DefaultTtl, MinimumTtl, MaximumTtl, Backend, nameof(ttl));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var request = new LockRequest(name, Internal.HolderTokens.New(), validTtl, wait, Time, isBareLease, maxHolders, isShared);
        LockGrant? grant;
        try
        {
            grant = await CallBackendAsync(name, "acquire", (Provider: this, Request: request), static (s, ct) => s.Provider.AcquireCoreAsync(s.Request, ct), cancellationToken, wait).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Metrics.NotAcquired("cancelled");
            await AbandonQuietlyAsync(request).ConfigureAwait(false);
            throw;
        }
        catch
        {
            Metrics.NotAcquired("error");
            await AbandonQuietlyAsync(request).ConfigureAwait(false);
            throw;
        }

        if (grant is null)
        {
            Metrics.NotAcquired("timeout");
            // A wait that ran out may still have a queue entry, or a hand-off that raced the timeout.
            await AbandonQuietlyAsync(request).ConfigureAwait(false);
            return null;
        }

        Metrics.Acquired(request.Elapsed);
        return (request, grant);
    }

    /// <summary>
    /// Runs one backend call with a hard bound (the caller's wait plus the connect timeout) and turns
    /// backend failures into <see cref="LockBackendException"/>s that name the lock, backend and endpoint.
    /// </summary>
    internal Task<T> CallBackendAsync<T>(string name, string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, TimeSpan? wait = default)
        => CallBackendAsync(name, operation, call, static (c, ct) => c(ct), cancellationToken, wait);

    /// <inheritdoc cref="CallBackendAsync{T}(string, string, Func{CancellationToken, Task{T}}, CancellationToken, TimeSpan?)"/>
    /// <remarks>The state-passing form, for the calls every hold makes (acquire, release): no closure per call.</remarks>
    private async Task<T> CallBackendAsync<TState, T>(string name, string operation, TState state, Func<TState, CancellationToken, Task<T>> call, CancellationToken cancellationToken, TimeSpan? wait = default)
    {
        var bound = (wait ?? TimeSpan.Zero) + Options.ConnectTimeout;
        // A wait beyond what a timer can count (about 49 days) is bounded by the backend's own wait instead.
        var unbounded = BoundsEveryCall || (operation == "acquire" && wait is null) || bound.TotalMilliseconds > MaximumTimerMilliseconds;
        using var timeout = unbounded ? null : new CancellationTokenSource();
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = Time.GetTimestamp();
        try
        {
            var pending = call(state, linked?.Token ?? cancellationToken);
            if (timeout is null || pending.IsCompleted)
                return await pending.ConfigureAwait(false);
            // The bound's timer starts only for a call that did not finish at once (an in-process backend
            // answers synchronously, and a timer per call is most of its cost); it still counts from the start.
            var left = bound - Time.GetElapsedTime(started);
            await using var timer = Time.CreateTimer(static state => CancelQuietly((CancellationTokenSource)state!), timeout,
                left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            return await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout is { IsCancellationRequested: true })
        {
            throw new LockBackendException(
                $"Lock '{name}': the {Backend} backend at {Endpoint} did not complete {operation} within {bound.TotalMilliseconds:0} ms.",
                name, Backend, Endpoint, new TimeoutException());
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not LockException and not ArgumentException and not NotSupportedException and not ObjectDisposedException)
        {
            throw new LockBackendException(
                $"Lock '{name}': {operation} on the {Backend} backend at {Endpoint} failed: {ex.Message}",
                name, Backend, Endpoint, ex);
        }
    }

    private const double MaximumTimerMilliseconds = uint.MaxValue - 1;

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished and disposed its token source while the timer fired.
        }
    }

    private async Task AbandonQuietlyAsync(LockRequest request)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Options.ConnectTimeout, Time);
            await AbandonAcquireAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease still expires by itself within its TTL; nothing more can be done here.
            Logger.LogDebug(ex, "Cleanup after an unfinished acquire of lock {LockName} on {Backend} failed", request.Name, Backend);
        }
    }

    /// <summary>Where the handles' automatic renewals go on their way to the backend; null: straight there.</summary>
    internal Internal.IRenewalPath? RenewalPath { get; set; }

    internal Task<bool> RenewForHandleAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => RenewalPath is { } path
            ? path.RenewAsync(name, holderToken, ct => RenewCoreAsync(name, holderToken, ttl, ct), cancellationToken)
            : RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    internal Task<bool> ReleaseForHandleAsync(string name, string holderToken, CancellationToken cancellationToken)
        => CallBackendAsync(name, "release", (Provider: this, Name: name, HolderToken: holderToken), static (s, ct) => s.Provider.ReleaseCoreAsync(s.Name, s.HolderToken, ct), cancellationToken);

    internal void Forget(LockHandle handle) => _liveHandles.TryRemove(handle, out _);

    internal string BackendName => Backend;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Releases every hold this provider's handles still have (a failed release is logged; the lease then
    /// ends at its TTL), then frees the backend's resources. Safe to call more than once; later calls do nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var handle in _liveHandles.Keys)
        {
            try
            {
                await handle.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.LogWarning(ex, "Releasing lock {LockName} while disposing the {Backend} provider failed", handle.Name, Backend);
            }
        }
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
