namespace Coord.Locks.Internal;

/// <summary>
/// A reusable wake-up for a waiter: the backend's notification (pub/sub message, watch event,
/// NOTIFY) calls <see cref="Set"/>; the waiter sleeps in <see cref="WaitAsync"/> until then or until its
/// fallback delay passes. A Set that arrives while nobody is waiting is kept for the next wait, so
/// a notification racing with the attempt it should interrupt is never lost.
/// </summary>
internal sealed class WakeUpSignal
{
    private TaskCompletionSource _pending = NewSource();

    public void Set() => Volatile.Read(ref _pending).TrySetResult();

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
        Interlocked.CompareExchange(ref _pending, NewSource(), source);
        return true;
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
