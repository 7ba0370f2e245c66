namespace Coord.Locks.InMemory;

/// <summary>
/// One waiter in an in-memory line (of a lock or a semaphore): its token and TTL, the grant a hand-off
/// leaves it, and the waiting loop both stores share. The store's gate guards everything but the signal.
/// </summary>
internal sealed class InMemoryWaiter(string token, TimeSpan ttl, bool isShared = false)
{
    public string Token { get; } = token;
    public TimeSpan Ttl { get; } = ttl;

    /// <summary>Whether it waits for a shared hold (<see cref="LockRequest.IsShared"/>); a lock's waiters never do.</summary>
    public bool IsShared { get; } = isShared;
    public LinkedListNode<InMemoryWaiter>? Node;
    public LockGrant? Grant;
    private readonly Internal.WakeUpSignal _signal = new();

    /// <summary>Gives this waiter <paramref name="grant"/> and wakes it; call under the store's gate.</summary>
    public void HandOff(LockGrant grant)
    {
        Grant = grant;
        _signal.Set();
    }

    /// <summary>
    /// Waits for a hand-off. Under <paramref name="gate"/>, <paramref name="look"/> hands out whatever came
    /// free (expired holds) and says how long until something may expire next; <paramref name="leave"/>
    /// takes this waiter out of line when the wait runs out or fails. Woken by a hand-off; the timer only
    /// covers a holder whose lease runs out without a release.
    /// </summary>
    public async Task<LockGrant?> WaitAsync(object gate, LockRequest request, TimeProvider time, Func<TimeSpan> look, Action leave, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                TimeSpan nextExpiry;
                lock (gate)
                {
                    nextExpiry = Grant is null ? look() : TimeSpan.Zero;
                    if (Grant is not null)
                        return Grant;
                    if (request.WaitExpired)
                    {
                        leave();
                        return null;
                    }
                }
                await _signal.WaitAsync(request.NextWakeUp(nextExpiry), time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            lock (gate)
            {
                // A hand-off that raced the failure is released by the provider's clean-up (by this token).
                if (Grant is null)
                    leave();
            }
            throw;
        }
    }

    /// <summary>Time from now until <paramref name="timestamp"/> of <paramref name="time"/>, never negative.</summary>
    public static TimeSpan Until(long timestamp, TimeProvider time)
    {
        var left = timestamp - time.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)((Int128)left * TimeSpan.TicksPerSecond / time.TimestampFrequency));
    }

    /// <summary><paramref name="span"/> in timestamp ticks of <paramref name="time"/>.</summary>
    // 128-bit products: at a nanosecond timestamp frequency a 64-bit product overflows for spans above about 15 minutes.
    public static long ToTimestampTicks(TimeSpan span, TimeProvider time) => (long)((Int128)span.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond);
}
