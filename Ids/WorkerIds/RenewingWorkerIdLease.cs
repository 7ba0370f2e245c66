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
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private int _disposed;

    public RenewingWorkerIdLease(IWorkerIdLeaseStore leaser, int workerId, Guid owner, long lastIssuedUnixMs, long acquireSentTimestamp)
    {
        _leaser = leaser;
        _owner = owner;
        WorkerId = workerId;
        LastIssuedUnixMs = lastIssuedUnixMs;
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
        _lost.Dispose();
        _stop.Dispose();
    }

    private async Task RenewLoopAsync(long sent)
    {
        var time = _leaser.Time;
        var ttl = _leaser.LeaseDuration;
        // Valid until the server could expire the row, less a margin for clock rate drift between hosts.
        var validFor = ttl - TimeSpan.FromTicks(ttl.Ticks / 10);
        var validFrom = sent;
        var interval = ttl / 3;
        var retry = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, interval.Ticks));
        var wait = interval;
        try
        {
            while (true)
            {
                var left = validFor - time.GetElapsedTime(validFrom);
                if (left <= TimeSpan.Zero)
                {
                    LoseLease("its renewal did not succeed before the lease ran out");
                    return;
                }
                await Task.Delay(wait < left ? wait : left, time, _stop.Token).ConfigureAwait(false);
                if (time.GetElapsedTime(validFrom) >= validFor)
                {
                    LoseLease("its renewal did not succeed before the lease ran out");
                    return;
                }
                var attemptSent = time.GetTimestamp();
                var reserve = Math.Max(CurrentLastIssuedUnixMs ?? 0, time.GetUtcNow().ToUnixTimeMilliseconds() + (long)ttl.TotalMilliseconds);
                try
                {
                    if (!await _leaser.RenewAsync(WorkerId, _owner, reserve, _stop.Token).ConfigureAwait(false))
                    {
                        LoseLease("the row is no longer ours (the lease expired or was taken)");
                        return;
                    }
                    validFrom = attemptSent;
                    wait = interval;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    _leaser.Logger.LogWarning(ex, "Renewing Snowflake worker id {WorkerId} failed; retrying.", WorkerId);
                    wait = retry;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private void LoseLease(string why)
    {
        _leaser.Logger.LogError("Lost the lease on Snowflake worker id {WorkerId} from {Store}: {Reason}. The generator stops issuing ids.", WorkerId, _leaser.Description, why);
        _lost.Cancel();
    }
}
