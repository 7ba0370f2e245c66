namespace Coord.Locks.Internal;

/// <summary>
/// One waiting acquire of a backend whose release hands the lock straight to the next waiter: the
/// backend's notification either carries the fencing token of that hand-off (<see cref="HandOff"/>) or
/// just wakes the waiter to look again (<see cref="Signal"/>).
/// </summary>
internal class HandOffWaiter(string token)
{
    private long _handedOffFence = -1;

    public string Token { get; } = token;
    public WakeUpSignal Signal { get; } = new();

    /// <summary>The fence of a hand-off received for this waiter, if any.</summary>
    public long? HandedOffFence => Interlocked.Read(ref _handedOffFence) is var f and >= 0 ? f : null;

    public void HandOff(long fence)
    {
        Interlocked.Exchange(ref _handedOffFence, fence);
        Signal.Set();
    }
}
