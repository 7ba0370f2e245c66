using Microsoft.Extensions.Logging;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// A worker id leased from a store, renewed every third of its duration. It counts as lost once the
/// store could have expired it (from the moment the last successful request was sent, less a margin
/// for clock rate drift), fired from a timer even while a renewal is still in flight.
/// </summary>
internal sealed class RenewingWorkerIdLease : WorkerIdLease
{
    private readonly IWorkerIdLeaseStore _leaser;
    private readonly Guid _owner;
    private readonly IAsyncDisposable? _session;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _deadline;
    private readonly TimeSpan _validFor;
    private readonly Task _renewal;
    private int _lostOnce;
    private int _disposed;

    /// <param name="leaser">Renews and releases the id on the store.</param>
    /// <param name="workerId">The leased id.</param>
    /// <param name="owner">This lease's owner value in the store.</param>
    /// <param name="lastIssuedUnixMs">The timestamp the store held for the id when it was leased.</param>
    /// <param name="acquireSentTimestamp"><see cref="TimeProvider.GetTimestamp"/> when the acquiring request was sent; validity counts from it.</param>
    /// <param name="session">
    /// What the lease keeps open on the store beside its row or key (a ZooKeeper session, an etcd
    /// lease), ended once the id is released or lost.
    /// </param>
    public RenewingWorkerIdLease(IWorkerIdLeaseStore leaser, int workerId, Guid owner, long lastIssuedUnixMs, long acquireSentTimestamp, IAsyncDisposable? session = null)
    {
        _leaser = leaser;
        _owner = owner;
        _session = session;
        WorkerId = workerId;
        LastIssuedUnixMs = lastIssuedUnixMs;
        var ttl = leaser.LeaseDuration;
        // Valid until the store could expire the lease, less a margin for clock rate drift between hosts.
        _validFor = ttl - TimeSpan.FromTicks(ttl.Ticks / 10);
        // The deadline is a timer of its own, so a renewal stuck in flight cannot hold the lost signal back.
        _deadline = leaser.Time.CreateTimer(_ => LoseLease("its renewal did not succeed before the lease ran out"), null, Left(acquireSentTimestamp), Timeout.InfiniteTimeSpan);
        _renewal = RenewLoopAsync(acquireSentTimestamp);
    }

    public override int WorkerId { get; }
    public override long LastIssuedUnixMs { get; }
    public override CancellationToken Lost => _lost.Token;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        await _deadline.DisposeAsync().ConfigureAwait(false);
        if (!_lost.IsCancellationRequested)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_leaser.LeaseDuration);
                // Nothing tracked means nothing was issued: put back what the store held before our reservation.
                await _leaser.ReleaseAsync(WorkerId, _owner, CurrentLastIssuedUnixMs ?? LastIssuedUnixMs, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The lease then expires on its own; the stored reservation still guards the next owner.
                _leaser.Logger.LogWarning(ex, "Could not release Snowflake worker id {WorkerId}; it frees itself when its lease expires.", WorkerId);
            }
        }
        if (_session is not null)
        {
            try
            {
                await _session.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _leaser.Logger.LogWarning(ex, "Could not end the store session of Snowflake worker id {WorkerId}; the store ends it when it expires.", WorkerId);
            }
        }
        _lost.Dispose();
        _stop.Dispose();
    }

    private TimeSpan Left(long validFrom)
    {
        var left = _validFor - _leaser.Time.GetElapsedTime(validFrom);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task RenewLoopAsync(long sent)
    {
        var time = _leaser.Time;
        var ttl = _leaser.LeaseDuration;
        var validFrom = sent;
        var interval = ttl / 3;
        var retry = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, interval.Ticks));
        var wait = interval;
        using var stopOrLost = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _lost.Token);
        try
        {
            while (true)
            {
                var left = Left(validFrom);
                await Task.Delay(wait < left ? wait : left, time, stopOrLost.Token).ConfigureAwait(false);
                if (Left(validFrom) <= TimeSpan.Zero)
                {
                    LoseLease("its renewal did not succeed before the lease ran out");
                    return;
                }
                var attemptSent = time.GetTimestamp();
                var reserve = Math.Max(CurrentLastIssuedUnixMs ?? 0, time.GetUtcNow().ToUnixTimeMilliseconds() + (long)ttl.TotalMilliseconds);
                try
                {
                    if (!await _leaser.RenewAsync(WorkerId, _owner, reserve, stopOrLost.Token).ConfigureAwait(false))
                    {
                        LoseLease("the store says the id is no longer ours (the lease expired or was taken)");
                        return;
                    }
                    if (_lost.IsCancellationRequested)
                        return; // the deadline passed while the renewal was in flight: lost stays lost
                    validFrom = attemptSent;
                    _deadline.Change(Left(validFrom), Timeout.InfiniteTimeSpan);
                    wait = interval;
                }
                catch (Exception ex) when (!stopOrLost.IsCancellationRequested)
                {
                    _leaser.Logger.LogWarning(ex, "Renewing Snowflake worker id {WorkerId} failed; retrying.", WorkerId);
                    wait = retry;
                }
            }
        }
        catch (OperationCanceledException) when (stopOrLost.IsCancellationRequested)
        {
            // disposed, or lost by the deadline timer
        }
    }

    private void LoseLease(string why)
    {
        if (Interlocked.Exchange(ref _lostOnce, 1) != 0 || Volatile.Read(ref _disposed) != 0)
            return;
        _leaser.Logger.LogError("Lost the lease on Snowflake worker id {WorkerId} from {Store}: {Reason}. The generator stops issuing ids.", WorkerId, _leaser.Description, why);
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile
        }
    }
}
