using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Locks;

/// <summary>
/// The shared half of every leader-election backend. A campaign is an acquire of a one-holder name whose
/// grant's fencing token is the term, so everything a lock provider does around its backend (validation,
/// holder tokens, wait bounds, error wrapping, withdrawing an abandoned candidacy, the self-renewing handle
/// with its lost signal, metrics, disposal) runs through the very same <see cref="LockProvider"/> code: the
/// provider drives an inner one whose backend calls are this class's. A backend supplies campaign (with the
/// candidate's value), renew, resign and proclaim by holder token, and reading and observing the leader.
/// </summary>
public abstract class LeaderElectionProvider : ILeaderElection
{
    /// <summary>Largest value a candidate may campaign with or proclaim, in bytes of its UTF-8 form.</summary>
    public const int MaximumValueBytes = 4096;

    // The campaign's value on its way from CampaignAsync, through the lock machinery (whose request has no room
    // for it), to CampaignCoreAsync: the inner provider calls AcquireCoreAsync within the campaign's own flow.
    private static readonly AsyncLocal<string?> CampaignValue = new();

    private readonly CandidateProvider _candidates;
    private int _disposed;

    /// <summary>Validates <paramref name="options"/> and keeps them; the provider reads time only through <see cref="LockOptions.TimeProvider"/>.</summary>
    /// <param name="options">The backend's settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range; the message names it and what is allowed.</exception>
    protected LeaderElectionProvider(LockOptions options, ILogger? logger)
    {
        _candidates = new CandidateProvider(this, options, logger);
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

    /// <summary>Shortest TTL this backend can honour; a campaign refuses a shorter one up front.</summary>
    public virtual TimeSpan MinimumTtl => LockOptions.MinimumTtl;

    /// <summary>Longest TTL this backend can honour; a campaign refuses a longer one up front.</summary>
    public virtual TimeSpan MaximumTtl => LockOptions.MaximumTtl;

    /// <summary>Request counts and meters for this provider.</summary>
    public LockMetrics Metrics => _candidates.Metrics;

    /// <summary>
    /// Joins <see cref="LockRequest.Name"/>'s election with <paramref name="value"/> and waits, by notification,
    /// while <see cref="LockRequest.WaitExpired"/> is false, until every candidate that joined before has left.
    /// Returns the grant (its fencing token is the term) or null when the wait ran out. If it throws or is
    /// cancelled after sending anything, the candidacy is withdrawn through <see cref="AbandonCampaignAsync"/>.
    /// </summary>
    protected abstract Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken);

    /// <summary>Extends the leadership (or candidacy) of <paramref name="holderToken"/>; false when it has ended, changing nothing.</summary>
    protected abstract Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Ends the leadership or candidacy of <paramref name="holderToken"/> (electing the next candidate); false when it had ended already.</summary>
    protected abstract Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken);

    /// <summary>Sets the leader's value if <paramref name="holderToken"/> still leads; false otherwise, changing nothing.</summary>
    protected abstract Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken);

    /// <summary>The leader now, or null.</summary>
    protected abstract Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken);

    /// <summary>The leader now (once there is one) and each change after, until cancelled. The provider drops repeats and lower terms.</summary>
    protected abstract IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, CancellationToken cancellationToken);

    /// <summary>
    /// Withdraws a candidacy whose campaign timed out, failed or was cancelled, so nothing is left in line. By default
    /// through <see cref="LockRequest.Attempt"/>, else a resignation by the request's holder token.
    /// </summary>
    protected virtual Task AbandonCampaignAsync(LockRequest request, CancellationToken cancellationToken)
        => request.Attempt is { } attempt
            ? attempt.AbandonAsync(cancellationToken)
            : ResignCoreAsync(request.Name, request.HolderToken, cancellationToken);

    /// <summary>True when the backend bounds every call itself, as <see cref="LockProvider"/>'s.</summary>
    protected virtual bool BoundsEveryCall => false;

    /// <summary>Frees backend resources (connections, sessions) after live leaderships were resigned.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public async Task<ILeadership> CampaignAsync(string election, string value, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        var leadership = await CampaignInternalAsync(election, value, validWait, ttl, cancellationToken).ConfigureAwait(false);
        return leadership ?? throw new CampaignTimeoutException(election, Backend, Endpoint, validWait ?? TimeSpan.Zero);
    }

    /// <inheritdoc/>
    public Task<ILeadership?> TryCampaignAsync(string election, string value, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => CampaignInternalAsync(election, value, LockValidation.ValidateWait(wait, nameof(wait)), ttl, cancellationToken);

    /// <inheritdoc/>
    public async Task<ElectionLeader?> GetLeaderAsync(string election, CancellationToken cancellationToken = default)
    {
        LockValidation.ValidateName(election, nameof(election), "An election");
        ThrowIfDisposed();
        return await _candidates.CallBackendAsync(election, "leader", ct => GetLeaderCoreAsync(election, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, CancellationToken cancellationToken = default)
    {
        LockValidation.ValidateName(election, nameof(election), "An election");
        ThrowIfDisposed();
        return ObserveInternalAsync(election, cancellationToken);
    }

    private async IAsyncEnumerable<ElectionLeader> ObserveInternalAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var leaders = ObserveCoreAsync(election, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (leaders.ConfigureAwait(false))
        {
            ElectionLeader? last = null;
            while (true)
            {
                try
                {
                    if (!await leaders.MoveNextAsync().ConfigureAwait(false))
                        yield break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not LockException and not ObjectDisposedException)
                {
                    throw new LockBackendException($"Election '{election}': observing the leader on the {Backend} backend at {Endpoint} failed: {ex.Message}", election, Backend, Endpoint, ex);
                }
                var leader = leaders.Current;
                // A backend may see the same state twice (a watch created again), or an old one late: report neither.
                if (last is not null && (leader.Term < last.Term || (leader.Term == last.Term && leader.Value == last.Value)))
                    continue;
                last = leader;
                yield return leader;
            }
        }
    }

    private async Task<ILeadership?> CampaignInternalAsync(string election, string value, TimeSpan? wait, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        // Checked here in election words; the lock machinery below finds them valid.
        LockValidation.ValidateName(election, nameof(election), "An election");
        ValidateValue(value, nameof(value));
        LockValidation.ValidateTtl(ttl ?? Options.DefaultTtl, MinimumTtl, MaximumTtl, Backend, nameof(ttl), "leadership");
        ThrowIfDisposed();
        CampaignValue.Value = value;
        var hold = await _candidates.AcquireInternalAsync(election, wait, ttl, cancellationToken).ConfigureAwait(false);
        return hold is null ? null : new Leadership(this, hold, value);
    }

    /// <summary>
    /// Campaigns as a bare lease that nothing renews in this process, for candidates elsewhere (the REST service
    /// hands the holder token to its caller, who renews or resigns by it, from any instance where the backend allows).
    /// The lease's fencing token is the term. Null, the candidacy withdrawn, when not elected within <paramref name="wait"/>.
    /// </summary>
    /// <param name="election">Election name: 1 to 256 characters, no control characters.</param>
    /// <param name="value">What this candidate announces once elected: at most <see cref="MaximumValueBytes"/> bytes as UTF-8, valid text (empty is allowed).</param>
    /// <param name="wait">How long to wait to be elected: zero (the default) tries once; <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the campaign; a candidacy already sent to the backend is withdrawn.</param>
    /// <returns>The leadership's lease with its holder token and term, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="election"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The election name or the value is out of its range; the message says what is allowed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public async Task<LockLease?> TryCampaignLeaseAsync(string election, string value, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var validWait = LockValidation.ValidateWait(wait, nameof(wait));
        LockValidation.ValidateName(election, nameof(election), "An election");
        ValidateValue(value, nameof(value));
        LockValidation.ValidateTtl(ttl ?? Options.DefaultTtl, MinimumTtl, MaximumTtl, Backend, nameof(ttl), "leadership");
        ThrowIfDisposed();
        CampaignValue.Value = value;
        return await _candidates.AcquireLeaseInternalAsync(election, validWait, ttl, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Extends a leadership (or waiting candidacy) taken by <see cref="TryCampaignLeaseAsync"/>, by its holder token; false, changing nothing, when it has ended.</summary>
    /// <param name="election">Election name.</param>
    /// <param name="holderToken">The lease's holder token.</param>
    /// <param name="ttl">New lease length from now: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when extended.</returns>
    /// <exception cref="ArgumentException">The name or the token is out of its range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public Task<bool> RenewLeaseAsync(string election, string holderToken, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _candidates.RenewAsync(election, holderToken, ttl, cancellationToken);
    }

    /// <summary>Resigns a leadership taken by <see cref="TryCampaignLeaseAsync"/> by its holder token, electing the next candidate; false when it had ended already.</summary>
    /// <param name="election">Election name.</param>
    /// <param name="holderToken">The lease's holder token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when this call ended the leadership.</returns>
    /// <exception cref="ArgumentException">The name or the token is out of its range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public Task<bool> ResignLeaseAsync(string election, string holderToken, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _candidates.ReleaseAsync(election, holderToken, cancellationToken);
    }

    /// <summary>Sets a new value for <paramref name="leadership"/>; throws <see cref="NotLeaderException"/> when it no longer leads.</summary>
    internal async Task ProclaimAsync(Leadership leadership, string value, CancellationToken cancellationToken)
    {
        ValidateValue(value, nameof(value));
        if (leadership.IsLost)
            throw new NotLeaderException(leadership.Election, Backend, Endpoint, "the leadership was lost");
        var name = leadership.Election;
        var token = leadership.HolderToken;
        if (!await _candidates.CallBackendAsync(name, "proclaim", ct => ProclaimCoreAsync(name, token, value, ct), cancellationToken).ConfigureAwait(false))
            throw new NotLeaderException(name, Backend, Endpoint, "its leadership ended on the backend (expired or taken away)");
    }

    /// <summary>The renewal seam of the leaderships' handles, as <see cref="LockProvider.RenewalPath"/>.</summary>
    internal Internal.IRenewalPath? RenewalPath
    {
        get => _candidates.RenewalPath;
        set => _candidates.RenewalPath = value;
    }

    private static void ValidateValue(string value, string parameter)
    {
        if (value is null)
            throw new ArgumentNullException(parameter, $"A candidate's value is required: text of at most {MaximumValueBytes} bytes as UTF-8 (empty is allowed).");
        // Strict UTF-8 throws on a lone surrogate, which no backend could store as text.
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException("A candidate's value must be valid text (it contains a lone surrogate).", parameter);
        }
        if (bytes > MaximumValueBytes)
            throw new ArgumentException($"A candidate's value must be at most {MaximumValueBytes} bytes as UTF-8; it had {bytes}. Keep an address or id there, not a document.", parameter);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Resigns every leadership and withdraws every candidacy this provider still has, then frees the backend's resources. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _candidates.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The lock machinery, pointed at this election's backend calls.</summary>
    private sealed class CandidateProvider(LeaderElectionProvider election, LockOptions options, ILogger? logger) : LockProvider(options, logger)
    {
        public override string Backend => election.Backend;
        public override string Endpoint => election.Endpoint;
        public override TimeSpan MinimumTtl => election.MinimumTtl;
        public override TimeSpan MaximumTtl => election.MaximumTtl;
        protected override bool BoundsEveryCall => election.BoundsEveryCall;

        protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
            => election.CampaignCoreAsync(request, CampaignValue.Value ?? throw new InvalidOperationException("A campaign reached the backend without its value."), cancellationToken);

        protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
            => election.RenewCoreAsync(name, holderToken, ttl, cancellationToken);

        protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
            => election.ResignCoreAsync(name, holderToken, cancellationToken);

        protected override Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
            => election.AbandonCampaignAsync(request, cancellationToken);

        protected override ValueTask DisposeCoreAsync() => election.DisposeCoreAsync();
    }
}
