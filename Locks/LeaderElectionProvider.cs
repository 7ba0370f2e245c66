using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// The shared half of every leader-election backend. A campaign is an acquire of a one-holder name whose
/// grant's fencing token is the term, so everything a lock provider does around its backend (validation,
/// holder tokens, wait bounds, error wrapping, withdrawing an abandoned candidacy, the self-renewing handle
/// with its lost signal, metrics, disposal) runs through the very same <see cref="LockProvider"/> code
/// (<see cref="PrimitiveProvider"/>). A backend supplies campaign (with the candidate's value), renew, resign and
/// proclaim by holder token, and reading and observing the leader: by overriding them, or (Coord's backends whose
/// candidates wait on their semaphore's engine) through an election engine handed to the constructor.
/// </summary>
public abstract class LeaderElectionProvider : PrimitiveProvider, ILeaderElection
{
    /// <summary>Largest value a candidate may campaign with or proclaim, in bytes of its UTF-8 form.</summary>
    public const int MaximumValueBytes = 4096;

    // The campaign's value on its way from CampaignAsync, through the lock machinery (whose request has no room
    // for it), to CampaignCoreAsync: the inner provider calls AcquireCoreAsync within the campaign's own flow.
    private static readonly AsyncLocal<string?> CampaignValue = new();

    private readonly IElectionEngine? _engine;

    /// <inheritdoc cref="PrimitiveProvider(LockOptions, ILogger?)"/>
    /// <remarks>A provider built this way overrides <see cref="PrimitiveProvider.Backend"/>, <see cref="PrimitiveProvider.Endpoint"/> and every backend call (<see cref="CampaignCoreAsync"/> and the others).</remarks>
    protected LeaderElectionProvider(LockOptions options, ILogger? logger)
        : base(options, logger)
    {
    }

    /// <summary>A provider whose backend calls are <paramref name="engine"/>'s, built once the provider's metrics exist: a backend's whole provider is this constructor.</summary>
    private protected LeaderElectionProvider(LockOptions options, ILogger? logger, string backend, Func<HoldEngineServices, IElectionEngine> engine)
        : base(options, logger, backend)
    {
        _engine = engine(EngineServices);
        RunOn(_engine.Holds);
    }

    /// <summary>
    /// Joins <see cref="LockRequest.Name"/>'s election with <paramref name="value"/> and waits, by notification,
    /// while <see cref="LockRequest.WaitExpired"/> is false, until every candidate that joined before has left.
    /// Returns the grant (its fencing token is the term) or null when the wait ran out. If it throws or is
    /// cancelled after sending anything, the candidacy is withdrawn through <see cref="AbandonCampaignAsync"/>.
    /// </summary>
    protected virtual async Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        var engine = Engine(nameof(CampaignCoreAsync));
        // The value is on record before the candidate joins the line, so it is there the moment the candidate leads.
        await engine.NominateAsync(request, value, cancellationToken).ConfigureAwait(false);
        var grant = await engine.Holds.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
        if (grant is not null)
            await engine.AnnounceAsync(request.Name, request.HolderToken, value, cancellationToken).ConfigureAwait(false);
        return grant;
    }

    /// <summary>Extends the leadership (or candidacy) of <paramref name="holderToken"/>; false when it has ended, changing nothing.</summary>
    protected virtual Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => Holds(nameof(RenewCoreAsync)).RenewAsync(election, holderToken, ttl, cancellationToken);

    /// <summary>Ends the leadership or candidacy of <paramref name="holderToken"/> (electing the next candidate); false when it had ended already.</summary>
    protected virtual async Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        var engine = Engine(nameof(ResignCoreAsync));
        var resigned = await engine.Holds.ReleaseAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        await engine.ForgetAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        return resigned;
    }

    /// <summary>Sets the leader's value if <paramref name="holderToken"/> still leads; false otherwise, changing nothing.</summary>
    protected virtual Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
        => Engine(nameof(ProclaimCoreAsync)).AnnounceAsync(election, holderToken, value, cancellationToken);

    /// <summary>The leader now, or null.</summary>
    protected virtual Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
        => Engine(nameof(GetLeaderCoreAsync)).GetLeaderAsync(election, cancellationToken);

    /// <summary>The leader now (once there is one) and each change after, until cancelled. The provider drops repeats and lower terms.</summary>
    protected virtual IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, CancellationToken cancellationToken)
        => Engine(nameof(ObserveCoreAsync)).ObserveAsync(election, cancellationToken);

    /// <summary>
    /// Withdraws a candidacy whose campaign timed out, failed or was cancelled, so nothing is left in line. By default
    /// through <see cref="LockRequest.Attempt"/>, else a resignation by the request's holder token; on an engine, its
    /// value is forgotten too.
    /// </summary>
    protected virtual async Task AbandonCampaignAsync(LockRequest request, CancellationToken cancellationToken)
    {
        await base.InnerAbandonAsync(request, cancellationToken).ConfigureAwait(false);
        if (_engine is { } engine)
            await engine.ForgetAsync(request.Name, request.HolderToken, cancellationToken).ConfigureAwait(false);
    }

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
        return await Inner.CallBackendAsync(election, "leader", ct => GetLeaderCoreAsync(election, ct), cancellationToken).ConfigureAwait(false);
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
        var hold = await Inner.AcquireInternalAsync(election, wait, ttl, cancellationToken).ConfigureAwait(false);
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
        return await Inner.AcquireLeaseInternalAsync(election, validWait, ttl, cancellationToken).ConfigureAwait(false);
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
        return Inner.RenewAsync(election, holderToken, ttl, cancellationToken);
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
        return Inner.ReleaseAsync(election, holderToken, cancellationToken);
    }

    /// <summary>Sets a new value for <paramref name="leadership"/>; throws <see cref="NotLeaderException"/> when it no longer leads.</summary>
    internal async Task ProclaimAsync(Leadership leadership, string value, CancellationToken cancellationToken)
    {
        ValidateValue(value, nameof(value));
        if (leadership.IsLost)
            throw new NotLeaderException(leadership.Election, Backend, Endpoint, "the leadership was lost");
        var name = leadership.Election;
        var token = leadership.HolderToken;
        if (!await Inner.CallBackendAsync(name, "proclaim", ct => ProclaimCoreAsync(name, token, value, ct), cancellationToken).ConfigureAwait(false))
            throw new NotLeaderException(name, Backend, Endpoint, "its leadership ended on the backend (expired or taken away)");
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

    private protected sealed override Task<LockGrant?> InnerAcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => CampaignCoreAsync(request, CampaignValue.Value ?? throw new InvalidOperationException("A campaign reached the backend without its value."), cancellationToken);

    private protected sealed override Task<bool> InnerRenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    private protected sealed override Task<bool> InnerReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ResignCoreAsync(name, holderToken, cancellationToken);

    private protected sealed override Task InnerAbandonAsync(LockRequest request, CancellationToken cancellationToken)
        => AbandonCampaignAsync(request, cancellationToken);

    private IElectionEngine Engine(string member)
        => _engine ?? throw new InvalidOperationException($"{GetType().Name} was built without an election engine, so it must override {member}.");
}
