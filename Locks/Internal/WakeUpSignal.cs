namespace Coord.Locks.Internal;

/// <summary>
/// A reusable wake-up for a waiter: the backend's notification (pub/sub message, watch event,
/// NOTIFY) calls <see cref="Set"/>; the waiter sleeps in <see cref="WaitAsync"/> until then or until its
/// fallback delay passes. A Set that arrives while nobody is waiting is kept for the next wait, so
/// a notification racing with the attempt it should interrupt is never lost.
/// </summary>
internal sealed class WakeUpSignal
{
    private static readonly Action<TaskCompletionSource> Complete = static source => source.TrySetResult();

    // Continuations run where the signal is set: Set decides whether that is here or on the thread pool.
    private TaskCompletionSource _pending = new();

    /// <summary>
    /// Wakes the waiter. <paramref name="runWaiterHere"/> lets the waiter go on on this thread: only for a
    /// thread that has nothing else to do (a notification's own thread-pool work item), which spares a
    /// second hop through the pool; anywhere else (a release handing over in process) the waiter goes on
    /// on the pool, so the caller is not held up by the next holder's code.
    /// </summary>
    public void Set(bool runWaiterHere = false)
    {
        var source = Volatile.Read(ref _pending);
        if (source.Task.IsCompleted)
            return;
        if (runWaiterHere)
            source.TrySetResult();
        else
            ThreadPool.UnsafeQueueUserWorkItem(Complete, source, preferLocal: false);
    }

    /// <summary>True when woken by <see cref="Set"/>, false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var source = Volatile.Read(ref _pending);
        if (!source.Task.IsCompleted)
        {
            try
            {
                await source.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
        // Consume the signal so the next wait blocks until a new one.
        Interlocked.CompareExchange(ref _pending, new TaskCompletionSource(), source);
        return true;
    }
}
