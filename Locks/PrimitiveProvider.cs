using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// The shared half of every primitive that runs on the lock's machinery: semaphores and reader-writer locks
/// (<see cref="HoldProvider"/>) and leader elections (<see cref="LeaderElectionProvider"/>). It keeps the validated
/// settings, the clock and the logger, and drives one inner <see cref="LockProvider"/> whose backend calls are the
/// derived class's, so validation, holder tokens, wait bounds, error wrapping, clean-up of an abandoned attempt, the
/// self-renewing handle with its lost signal, metrics and disposal are the lock's own code, written once.
/// </summary>
/// <remarks>Backends derive from <see cref="SemaphoreProvider"/>, <see cref="ReaderWriterLockProvider"/> or <see cref="LeaderElectionProvider"/>; this class alone cannot be derived from outside Coord (its inner calls are internal).</remarks>
public abstract class PrimitiveProvider : IAsyncDisposable
{
    private readonly InnerLockProvider _inner;
    private readonly string? _backend;
    private IHoldEngine? _holds;
    private int _disposed;

    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected PrimitiveProvider(LockOptions options, ILogger? logger) => _inner = new InnerLockProvider(this, options, logger);

    /// <summary>A provider of Coord's own <paramref name="backend"/>, whose engine the derived constructor builds and hands to <see cref="RunOn"/>.</summary>
    private protected PrimitiveProvider(LockOptions options, ILogger? logger, string backend)
        : this(options, logger)
        => _backend = backend;

    /// <summary>The validated settings this provider was built with (kept by the inner lock provider).</summary>
    protected LockOptions Options => _inner.Settings;

    /// <summary>The only clock the provider and its backend may read (<see cref="LockOptions.TimeProvider"/>).</summary>
    protected TimeProvider Time => _inner.Clock;

    /// <summary>The provider's logger; never null.</summary>
    protected ILogger Logger => _inner.Log;

    /// <summary>Short backend name used in errors and metrics, e.g. <c>redis</c>.</summary>
    /// <remarks>A provider built without an engine overrides it, as <see cref="Endpoint"/> and every backend call.</remarks>
    public virtual string Backend => _backend ?? throw NotOverridden(nameof(Backend));

    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    public virtual string Endpoint => _holds?.Endpoint ?? throw NotOverridden(nameof(Endpoint));

    /// <summary>Shortest TTL this backend can honour; acquiring (or campaigning) and renewing refuse a shorter one up front.</summary>
    public virtual TimeSpan MinimumTtl => _holds?.MinimumTtl ?? LockOptions.MinimumTtl;

    /// <summary>Longest TTL this backend can honour; acquiring (or campaigning) and renewing refuse a longer one up front.</summary>
    public virtual TimeSpan MaximumTtl => LockOptions.MaximumTtl;

    /// <summary>Request counts and meters for this provider; backends count every request they send here.</summary>
    public LockMetrics Metrics => _inner.Metrics;

    /// <summary>True when the backend bounds every call itself, as <see cref="LockProvider"/>'s.</summary>
    protected virtual bool BoundsEveryCall => _holds?.BoundsEveryCall ?? false;

    /// <summary>Frees backend resources (connections, sessions) after live holds were released.</summary>
    protected virtual ValueTask DisposeCoreAsync() => _holds?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Ends every hold this provider's handles still have, then frees the backend's resources. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _inner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The lock machinery, pointed at this provider's backend calls.</summary>
    private protected LockProvider Inner => _inner;

    /// <summary>The renewal seam of the handles, as <see cref="LockProvider.RenewalPath"/>.</summary>
    internal Internal.IRenewalPath? RenewalPath
    {
        get => _inner.RenewalPath;
        set => _inner.RenewalPath = value;
    }

    /// <summary>What the provider lends the engine its constructor builds: its metrics, clock and logger.</summary>
    private protected HoldEngineServices EngineServices => new(Metrics, Time, Logger);

    /// <summary>Makes <paramref name="holds"/> this provider's backend: its endpoint, TTL floor, call bounds and disposal.</summary>
    private protected void RunOn(IHoldEngine holds) => _holds = holds;

    /// <summary>The engine's holds, for a backend call that the derived class did not override.</summary>
    private protected IHoldEngine Holds(string member) => _holds ?? throw NotOverridden(member);

    private InvalidOperationException NotOverridden(string member)
        => new($"{GetType().Name} was built without an engine, so it must override {member}.");

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Whether the inner lock's grants carry fencing tokens a downstream resource can trust.</summary>
    private protected virtual bool InnerSupportsFencing => true;

    /// <summary>The inner lock's acquire: the derived primitive's own acquire (or campaign).</summary>
    private protected abstract Task<LockGrant?> InnerAcquireAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>The inner lock's renew by holder token.</summary>
    private protected abstract Task<bool> InnerRenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>The inner lock's release by holder token (for an election, a resignation).</summary>
    private protected abstract Task<bool> InnerReleaseAsync(string name, string holderToken, CancellationToken cancellationToken);

    /// <summary>
    /// Cleans up after an acquire that timed out, failed or was cancelled, so that nothing is left behind: through
    /// <see cref="LockRequest.Attempt"/>, else a release by the request's holder token (unique to that attempt).
    /// </summary>
    private protected virtual Task InnerAbandonAsync(LockRequest request, CancellationToken cancellationToken)
        => request.Attempt is { } attempt
            ? attempt.AbandonAsync(cancellationToken)
            : InnerReleaseAsync(request.Name, request.HolderToken, cancellationToken);

    /// <summary>The lock machinery, pointed at the outer provider's backend calls.</summary>
    private sealed class InnerLockProvider(PrimitiveProvider outer, LockOptions options, ILogger? logger) : LockProvider(options, logger)
    {
        public LockOptions Settings => Options;
        public TimeProvider Clock => Time;
        public ILogger Log => Logger;

        public override string Backend => outer.Backend;
        public override string Endpoint => outer.Endpoint;
        public override bool SupportsFencing => outer.InnerSupportsFencing;
        public override TimeSpan MinimumTtl => outer.MinimumTtl;
        public override TimeSpan MaximumTtl => outer.MaximumTtl;
        protected override bool BoundsEveryCall => outer.BoundsEveryCall;

        protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
            => outer.InnerAcquireAsync(request, cancellationToken);

        protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
            => outer.InnerRenewAsync(name, holderToken, ttl, cancellationToken);

        protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
            => outer.InnerReleaseAsync(name, holderToken, cancellationToken);

        protected override Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
            => outer.InnerAbandonAsync(request, cancellationToken);

        protected override ValueTask DisposeCoreAsync() => outer.DisposeCoreAsync();
    }
}
