using Coord.Locks.Internal;

namespace Coord.Locks.Redis;

/// <summary>One waiting acquire: woken by a hand-off message carrying its fencing token.</summary>
internal sealed class RedisWaiter(string token)
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
