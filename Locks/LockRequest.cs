namespace Coord.Locks;

/// <summary>One validated acquire call as a backend sees it.</summary>
public sealed class LockRequest
{
    private readonly TimeProvider _time;

    internal LockRequest(string name, string holderToken, TimeSpan ttl, TimeSpan? wait, TimeProvider time, bool isBareLease = false, int maxHolders = 1, bool isShared = false)
    {
        IsBareLease = isBareLease;
        MaxHolders = maxHolders;
        IsShared = isShared;
        Name = name;
        HolderToken = holderToken;
        Ttl = ttl;
        Wait = wait;
        _time = time;
        StartedTimestamp = time.GetTimestamp();
    }

    /// <summary>The validated lock name.</summary>
    public string Name { get; }

    /// <summary>
    /// How many holders the name admits at once: 1 for a lock, the max count for a semaphore permit
    /// (<see cref="SemaphoreProvider"/>), <see cref="int.MaxValue"/> for both kinds of reader-writer hold; validated, at least 1.
    /// </summary>
    public int MaxHolders { get; }

    /// <summary>
    /// True when the hold may share the name: a semaphore permit, or a reader of a reader-writer lock
    /// (<see cref="ReaderWriterLockProvider"/>); it is granted while fewer than <see cref="MaxHolders"/> hold the
    /// name and none of them exclusively. False (a lock, a writer) for an exclusive hold: granted only while
    /// nobody holds the name, and keeping everyone out while held. Either way a request that finds others
    /// waiting joins the back of the one line, so a waiting writer holds back the readers behind it.
    /// </summary>
    public bool IsShared { get; }

    /// <summary>Fresh 128-bit random secret for this acquisition (32 lowercase hex characters).</summary>
    public string HolderToken { get; }

    /// <summary>The validated lease length, within the backend's TTL range.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>
    /// True for <see cref="ILockLeases.TryAcquireLeaseAsync"/>: no handle will renew the hold in this process, and
    /// it may be renewed or released by token from any client, so backends that share a session between
    /// holds give it a lease of its own.
    /// </summary>
    public bool IsBareLease { get; }

    /// <summary>How long the caller is willing to wait; null waits until cancelled.</summary>
    public TimeSpan? Wait { get; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the caller asked.</summary>
    public long StartedTimestamp { get; }

    /// <summary>
    /// This attempt's state on the backend, typed by the backend; when set, the provider abandons an
    /// acquire that ended without a grant through <see cref="LockAttempt.AbandonAsync"/>.
    /// </summary>
    public LockAttempt? Attempt { get; set; }

    /// <summary>Time since the caller asked, by the provider's <see cref="TimeProvider"/>.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(StartedTimestamp);

    /// <summary>Time left to wait: <see cref="Timeout.InfiniteTimeSpan"/> when unbounded, never negative.</summary>
    public TimeSpan RemainingWait
    {
        get
        {
            if (Wait is null)
                return Timeout.InfiniteTimeSpan;
            var left = Wait.Value - Elapsed;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>True once a bounded wait has run out; a backend then makes no further attempt.</summary>
    public bool WaitExpired => Wait is not null && Elapsed >= Wait.Value;

    /// <summary>
    /// The smaller of <paramref name="fallback"/> and the remaining wait: how long a waiter may sleep
    /// before it must look again.
    /// </summary>
    /// <param name="fallback">The backend's own re-check interval; a negative value counts as zero.</param>
    /// <returns>A duration of zero or more, never <see cref="Timeout.InfiniteTimeSpan"/>.</returns>
    public TimeSpan NextWakeUp(TimeSpan fallback)
    {
        if (fallback < TimeSpan.Zero)
            fallback = TimeSpan.Zero;
        var left = RemainingWait;
        return left == Timeout.InfiniteTimeSpan || fallback < left ? fallback : left;
    }
}
