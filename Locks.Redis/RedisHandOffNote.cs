namespace Coord.Locks.Redis;

/// <summary>
/// What a waiter on a Redis script queue knows about a hand-off: the server time of its last attempt
/// that found nothing free, and the hand-off message a release sent it. The lease a hand-off starts
/// on the server is dated from that attempt's send, moved on by the server time that passed until
/// the hand-off (less the drift factor), so the waiter's lease is never longer than the server's.
/// </summary>
internal sealed class RedisHandOffNote(double clockDriftFactor, TimeProvider time)
{
    private Delivered? _delivered;
    private long _lastMissSent;
    private long _lastMissServerMicros = -1;

    public void NoteMiss(long sent, long serverMicros)
    {
        _lastMissSent = sent;
        _lastMissServerMicros = serverMicros;
    }

    /// <summary>Keeps a hand-off message (":fence:serverSeconds:serverMicroseconds"); false when it is not one.</summary>
    public bool TryKeep(ReadOnlySpan<char> message)
    {
        Span<long> numbers = stackalloc long[3];
        if (!IRedisWakeUpReader.TryReadNumbers(message, numbers))
            return false;
        Volatile.Write(ref _delivered, new Delivered(numbers[0], numbers[1] * 1_000_000 + numbers[2]));
        return true;
    }

    /// <summary>The grant a kept hand-off gives, dated as above; null when none was delivered.</summary>
    public LockGrant? Take(long requestStarted)
    {
        if (Volatile.Read(ref _delivered) is not { } note)
            return null;
        if (_lastMissServerMicros < 0)
            return new LockGrant(note.Fence, requestStarted);
        var serverMicrosSinceMiss = Math.Max(0, note.ServerMicros - _lastMissServerMicros) * (1 - clockDriftFactor);
        var ticks = (long)(serverMicrosSinceMiss * time.TimestampFrequency / 1_000_000);
        return new LockGrant(note.Fence, Math.Min(_lastMissSent + ticks, time.GetTimestamp()));
    }

    private sealed record Delivered(long Fence, long ServerMicros);
}
