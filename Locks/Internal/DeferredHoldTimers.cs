using System.Collections.Concurrent;

namespace Coord.Locks.Internal;

/// <summary>
/// Gives new holds their renewal-and-deadline timer a moment late, in batches from one shared timer
/// that ticks only while holds wait for theirs. A hold released within that moment (most holds under
/// contention last microseconds) never creates a timer: creating one that is due sooner than every
/// other timer of the process makes the runtime wake its timer thread, which costs a short hold more
/// than its own round trips. A hold is deferred only when its first renewal is far beyond the tick.
/// </summary>
internal static class DeferredHoldTimers
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private static readonly ConcurrentQueue<LockHandle> Pending = new();
    private static readonly object Gate = new();
    private static readonly ITimer Sweeper = TimeProvider.System.CreateTimer(static _ => Sweep(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    private static int _running;

    /// <summary>Whether a hold with this clock and first renewal may wait for the sweep instead of creating its timer now.</summary>
    public static bool CanDefer(TimeProvider time, TimeSpan firstRenewal)
        => ReferenceEquals(time, TimeProvider.System) && firstRenewal > Tick * 4;

    public static void Defer(LockHandle handle)
    {
        Pending.Enqueue(handle);
        if (Volatile.Read(ref _running) == 1)
            return;
        lock (Gate)
        {
            if (_running == 0)
            {
                _running = 1;
                Sweeper.Change(Tick, Tick);
            }
        }
    }

    private static void Sweep()
    {
        for (var n = Pending.Count; n > 0 && Pending.TryDequeue(out var handle); n--)
            handle.StartTimer();
        lock (Gate)
        {
            // Stop first, then look again: a hold queued after this look sees the sweeper stopped and starts it.
            Interlocked.Exchange(ref _running, 0);
            if (Pending.IsEmpty)
            {
                Sweeper.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                return;
            }
            _running = 1;
        }
    }
}
