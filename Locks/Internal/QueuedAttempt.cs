namespace Coord.Locks.Internal;

/// <summary>
/// One acquire on a backend that keeps a queue of waiters on the server, and the waiting loop all such
/// backends share: take the lock or a place in line, refresh that place before its lease runs out,
/// sleep until a wake-up or the fallback timer, and leave the line when the wait runs out. A backend
/// supplies the round trips; its notification (pub/sub message, NOTIFY) calls <see cref="Wake"/>, or
/// records a hand-off that <see cref="TakeHandOff"/> turns into a grant.
/// </summary>
/// <remarks>
/// Leaving is race-free: a wait that runs out at the moment a release hands this waiter the lock keeps
/// that hand-off (<see cref="LeaveAsync"/> returns it) instead of stranding a lock that nobody holds,
/// and an attempt that fails or is cancelled releases it (<see cref="LeaveAndReleaseAsync"/>).
/// </remarks>
internal abstract class QueuedAttempt : LockAttempt
{
    private static readonly TimeSpan FirstOutageBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestOutageBackoff = TimeSpan.FromSeconds(2);

    private readonly WakeUpSignal _signal = new();
    private int _settled;

    protected QueuedAttempt(LockRequest request, TimeProvider time)
    {
        Request = request;
        Time = time;
        request.Attempt = this;
    }

    public LockRequest Request { get; }
    public string Token => Request.HolderToken;
    protected TimeProvider Time { get; }

    /// <summary>How often a queued waiter refreshes its place, and so the longest it sleeps without a wake-up.</summary>
    protected abstract TimeSpan RefreshInterval { get; }

    /// <summary>True when wake-ups can already reach this attempt, so its first round trip may queue it.</summary>
    protected abstract bool CanQueueAtOnce { get; }

    /// <summary>Makes wake-ups deliverable (subscribe, LISTEN) and registers this attempt to receive them.</summary>
    protected abstract Task JoinAsync(CancellationToken cancellationToken);

    /// <summary>Stops delivering wake-ups to this attempt.</summary>
    protected abstract void LeaveWakeUps();

    /// <summary>One round trip: the lock if it is this attempt's to take, else (when <paramref name="queue"/>) a place in line taken or refreshed.</summary>
    protected abstract Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken);

    /// <summary>Leaves the line after the wait ran out; returns the grant of a hand-off that landed first, else null.</summary>
    protected abstract Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken);

    /// <summary>Leaves the line and releases a hand-off that landed: the undo of an attempt that failed or was cancelled.</summary>
    protected abstract Task LeaveAndReleaseAsync(CancellationToken cancellationToken);

    /// <summary>The grant of a hand-off that a notification delivered, if one did; backends without hand-off keep the default.</summary>
    protected virtual LockGrant? TakeHandOff() => null;

    /// <summary>Whether a queued waiter should ride out this failure of a round trip (the backend restarting) instead of failing.</summary>
    protected virtual bool IsTransient(Exception exception) => false;

    /// <summary>Wakes the waiting loop to look again (or to collect a recorded hand-off); see <see cref="WakeUpSignal.Set"/> for <paramref name="runWaiterHere"/>.</summary>
    public void Wake(bool runWaiterHere = false) => _signal.Set(runWaiterHere);

    /// <summary>Runs the waiting loop: the grant, or null when the wait ran out without one.</summary>
    public async Task<LockGrant?> AcquireAsync(CancellationToken cancellationToken)
    {
        var willWait = !Request.WaitExpired && Request.RemainingWait != TimeSpan.Zero;
        if (!willWait || !CanQueueAtOnce)
        {
            // Uncontended path: one round trip that queues nothing, so there is nothing to undo.
            var first = await TryAsync(queue: false, cancellationToken).ConfigureAwait(false);
            if (first.Grant is not null || !willWait)
                return Settle(first.Grant);
        }

        await JoinAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await WaitInLineAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LeaveWakeUps();
        }
    }

    private async Task<LockGrant?> WaitInLineAsync(CancellationToken cancellationToken)
    {
        var queued = false;
        var outageBackoff = FirstOutageBackoff;
        while (true)
        {
            var sent = Time.GetTimestamp();
            TimeSpan retryIn;
            try
            {
                var result = await TryAsync(queue: true, cancellationToken).ConfigureAwait(false);
                if (result.Grant is { } grant)
                    return Settle(grant);
                queued = true;
                outageBackoff = FirstOutageBackoff;
                retryIn = result.RetryIn < RefreshInterval ? result.RetryIn : RefreshInterval;
            }
            catch (Exception ex) when (queued && !Request.WaitExpired && IsTransient(ex))
            {
                retryIn = outageBackoff;
                outageBackoff = outageBackoff * 2 < LongestOutageBackoff ? outageBackoff * 2 : LongestOutageBackoff;
            }

            while (true)
            {
                if (TakeHandOff() is { } handedOff)
                    return Settle(handedOff);
                if (Request.WaitExpired)
                    return Settle(await LeaveAsync(cancellationToken).ConfigureAwait(false));
                var woken = await _signal.WaitAsync(Request.NextWakeUp(retryIn - Time.GetElapsedTime(sent)), Time, cancellationToken).ConfigureAwait(false);
                if (TakeHandOff() is { } late)
                    return Settle(late);
                if (woken || Time.GetElapsedTime(sent) >= retryIn)
                    break;
            }
        }
    }

    /// <summary>Marks the attempt finished with nothing left to undo on the server.</summary>
    private LockGrant? Settle(LockGrant? grant)
    {
        Volatile.Write(ref _settled, 1);
        return grant;
    }

    protected internal sealed override Task AbandonAsync(CancellationToken cancellationToken)
        => Volatile.Read(ref _settled) == 1 ? Task.CompletedTask : LeaveAndReleaseAsync(cancellationToken);

    /// <summary>What one round trip found: the grant, or how long until it is worth asking again.</summary>
    protected readonly record struct TryResult(LockGrant? Grant, TimeSpan RetryIn)
    {
        public static TryResult Held(LockGrant grant) => new(grant, TimeSpan.Zero);
        public static TryResult NotYet(TimeSpan retryIn) => new(null, retryIn);
    }
}
