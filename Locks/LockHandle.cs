using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>
/// A live hold: renews every TTL/3 and fires <see cref="Lost"/> the moment validity can no longer
/// be vouched for. Validity is counted from when the last successful acquire or renew request was
/// <em>sent</em>, minus a drift margin, so it always ends before the server's own lease does.
/// </summary>
/// <remarks>
/// One timer per hold serves both ends: it is armed for the next renewal and, while a renew call is in
/// flight, for the validity deadline, so <see cref="Lost"/> fires on time even then: a call over a cut
/// connection may not come back before the server's lease has run out. One timer, not two, because a
/// short hold pays for every timer it creates and disposes.
/// </remarks>
internal sealed class LockHandle : ILockHandle
{
    private readonly LockProvider _provider;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long? _fencingToken;
    private readonly TimeSpan _margin;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationToken _backendLost;
    private CancellationTokenRegistration _backendLostRegistration;
    private Task _renewing = Task.CompletedTask;
    private readonly object _timerGate = new();
    private ITimer? _timer;
    private long _renewalDueTimestamp;
    private bool _renewInFlight;
    private long _validUntilTimestamp;
    private long _leaseStartedTimestamp;
    private int _ended;

    public LockHandle(LockProvider provider, LockRequest request, LockGrant grant, TimeSpan driftMargin, TimeProvider time, ILogger logger)
    {
        _provider = provider;
        _time = time;
        _logger = logger;
        Name = request.Name;
        HolderToken = grant.IssuedHolderToken ?? request.HolderToken;
        Ttl = request.Ttl;
        _fencingToken = grant.FencingToken;
        _backendLost = grant.BackendLost;
        _margin = driftMargin;
        SetLeaseStart(grant.LeaseStartedTimestamp);
    }

    public string Name { get; }
    public string HolderToken { get; }
    public TimeSpan Ttl { get; }
    public bool HasFencingToken => _fencingToken is not null;

    public long FencingToken => _fencingToken ?? throw new NotSupportedException(
        $"The {_provider.BackendName} backend issues no fencing token that a resource could trust (lock '{Name}'). Use a backend with fencing (Redis single instance, etcd, ZooKeeper, PostgreSQL) where stale holders must be rejected.");

    public DateTimeOffset ValidUntil => _time.GetUtcNow() + RemainingValidity();

    public CancellationToken Lost => _lost.Token;
    public bool IsLost
    {
        get
        {
            // The deadline timer may run late on a busy machine; a reader must never hear "held" past validity.
            if (!_lost.IsCancellationRequested && Volatile.Read(ref _ended) == 0 && RemainingValidity() <= TimeSpan.Zero)
                MarkLost("the lease ran out before a renewal succeeded");
            return _lost.IsCancellationRequested;
        }
    }

    internal void Start()
    {
        if (_backendLost.CanBeCanceled)
            _backendLostRegistration = _backendLost.Register(static s => ((LockHandle)s!).MarkLost("the backend reported the hold gone"), this);
        _renewalDueTimestamp = Volatile.Read(ref _leaseStartedTimestamp) + Ticks(Ttl / 3);
        var firstRenewal = TimeSpan.FromSeconds((double)(_renewalDueTimestamp - _time.GetTimestamp()) / _time.TimestampFrequency);
        if (Internal.DeferredHoldTimers.CanDefer(_time, firstRenewal))
            Internal.DeferredHoldTimers.Defer(this);
        else
            StartTimer();
    }

    /// <summary>Creates the hold's timer, unless the hold has already ended.</summary>
    internal void StartTimer()
    {
        if (Volatile.Read(ref _ended) != 0)
            return;
        var timer = _time.CreateTimer(static s => ((LockHandle)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _timer, timer);
        // A release or loss that raced this start saw no timer to dispose.
        if (Volatile.Read(ref _ended) != 0)
            timer.Dispose();
        else
            Arm();
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _ended) != 0)
            return;
        // A renewal that succeeded in the meantime moved the deadline; only a deadline that has passed ends the hold.
        if (RemainingValidity() <= TimeSpan.Zero)
        {
            MarkLost("the lease ran out before a renewal succeeded");
            return;
        }
        bool renew;
        lock (_timerGate)
        {
            // Renewals run one at a time: the next is due only when this one has finished.
            renew = !_renewInFlight && !_stop.IsCancellationRequested && _time.GetTimestamp() >= _renewalDueTimestamp;
            _renewInFlight |= renew;
        }
        if (renew)
            _renewing = RenewOnceAsync();
        Arm();
    }

    /// <summary>Arms the timer for the next renewal, or for the deadline while a renewal is in flight (or stopped).</summary>
    private void Arm()
    {
        lock (_timerGate)
        {
            var due = RemainingValidity();
            if (!_renewInFlight && !_stop.IsCancellationRequested)
            {
                var toRenewal = TimeSpan.FromSeconds((double)(_renewalDueTimestamp - _time.GetTimestamp()) / _time.TimestampFrequency);
                if (toRenewal < due)
                    due = toRenewal;
            }
            try
            {
                _timer?.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The hold ended meanwhile.
            }
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void SetLeaseStart(long sentTimestamp)
    {
        Volatile.Write(ref _leaseStartedTimestamp, sentTimestamp);
        // In seconds, not ticks: a day of ticks times a nanosecond timestamp frequency overflows a long.
        var validTicks = (long)((Ttl - _margin).TotalSeconds * _time.TimestampFrequency);
        Volatile.Write(ref _validUntilTimestamp, sentTimestamp + validTicks);
    }

    private TimeSpan RemainingValidity()
    {
        var now = _time.GetTimestamp();
        var left = Volatile.Read(ref _validUntilTimestamp) - now;
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / _time.TimestampFrequency);
    }

    private async Task RenewOnceAsync()
    {
        long nextDue;
        try
        {
            var sentAt = _time.GetTimestamp();
            var validity = RemainingValidity();
            if (validity <= TimeSpan.Zero)
            {
                MarkLost("the lease ran out before a renewal succeeded");
                return;
            }

            using var attempt = new CancellationTokenSource(validity, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, _stop.Token, _lost.Token);
            if (!await _provider.RenewForHandleAsync(Name, HolderToken, Ttl, linked.Token).ConfigureAwait(false))
            {
                MarkLost("the backend refused the renewal: someone else holds the lock or it expired");
                return;
            }
            SetLeaseStart(sentAt);
            nextDue = sentAt + Ticks(Ttl / 3);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested || _lost.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // A failed renewal is retried until validity runs out: a short network blip must not cost the lock.
            _logger.LogWarning(ex, "Renewing lock {LockName} on {Backend} failed; retrying while the lease is still valid", Name, _provider.BackendName);
            nextDue = _time.GetTimestamp() + Ticks(TimeSpan.FromTicks(Math.Clamp(Ttl.Ticks / 10, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(500).Ticks)));
        }

        lock (_timerGate)
        {
            _renewalDueTimestamp = nextDue;
            _renewInFlight = false;
        }
        Arm();
    }

    private void MarkLost(string reason)
    {
        // 0 = live, 1 = released, 2 = lost: a released hold never reports itself lost.
        if (Interlocked.CompareExchange(ref _ended, 2, 0) != 0)
            return;
        Volatile.Read(ref _timer)?.Dispose();
        _logger.LogWarning("Lock {LockName} on {Backend} lost: {Reason}", Name, _provider.BackendName, reason);
        _provider.Metrics.Ended(lost: true, reason);
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException ex)
        {
            _logger.LogError(ex, "A callback registered on the Lost token of lock {LockName} threw", Name);
        }
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        var previous = Interlocked.CompareExchange(ref _ended, 1, 0);
        if (previous == 1)
            return;
        _stop.Cancel();
        Volatile.Read(ref _timer)?.Dispose();
        await _backendLostRegistration.DisposeAsync().ConfigureAwait(false);
        // A renewal callback racing this release sees _stop and cancels its call at once; whatever it
        // sends is a compare-and-extend by our token, which cannot touch a later holder's lease.
        await _renewing.ConfigureAwait(false);

        try
        {
            // Even a lost hold is released by token: if the lease happens to still exist, this frees it sooner; if not, it changes nothing.
            await _provider.ReleaseForHandleAsync(Name, HolderToken, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _provider.Forget(this);
            if (previous == 0)
                _provider.Metrics.Ended(lost: false, null);
            Interlocked.Exchange(ref _ended, 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _ended) == 1)
            return;
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Dispose must not mask the exception of the block it ends; the lease expires by itself.
            _logger.LogWarning(ex, "Releasing lock {LockName} on {Backend} failed; it will expire after its TTL", Name, _provider.BackendName);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
