namespace Coord.Ids.Uuid;

/// <summary>
/// Time-ordered UUIDs, version 7 of RFC 9562, strictly increasing (in byte order and in
/// <see cref="Guid.ToString()"/> order) within one generator. Thread-safe.
/// </summary>
/// <remarks>
/// Layout (RFC 9562 §6.2, method 1, "fixed bit-length dedicated counter"): 48-bit Unix ms |
/// version 7 | 42-bit counter spread over rand_a (12 bits) and the top 30 bits of rand_b | 32 random
/// bits. Each new millisecond seeds the counter randomly with its top bit clear, so it has at least
/// 2^41 increments of room; should it overflow, the timestamp is advanced by one ms (§6.2 allows
/// this), and a clock that goes back keeps the last timestamp, so the order never breaks.
/// </remarks>
public sealed class UuidV7Generator : IIdGenerator<Guid>
{
    private const long CounterMask = (1L << 42) - 1;
    private const long SeedMask = (1L << 41) - 1;
    private readonly Lock _gate = new();
    private readonly RandomBytes _random = new();
    private readonly TimeProvider _time;
    private long _lastMs = -1;
    private long _counter;

    /// <summary>A generator reading Unix ms from <paramref name="timeProvider"/>.</summary>
    /// <param name="timeProvider">Clock for the timestamp; null is the system clock.</param>
    public UuidV7Generator(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc/>
    public Guid Next()
    {
        lock (_gate)
            return NextLocked();
    }

    /// <inheritdoc/>
    public void Next(Span<Guid> destination)
    {
        lock (_gate)
        {
            for (var i = 0; i < destination.Length; i++)
                destination[i] = NextLocked();
        }
    }

    private Guid NextLocked()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        // Before 1970 there is no 48-bit Unix timestamp to write; -1 would pass for the year 10889.
        if (now < 0 && _lastMs < 0)
            throw new InvalidOperationException($"The clock says {_time.GetUtcNow():O}, before 1970-01-01, where the 48-bit Unix-millisecond timestamp of UUID v7 begins.");
        if (now > _lastMs)
        {
            _lastMs = now;
            _counter = (long)(_random.NextUInt64() & SeedMask);
        }
        else if (++_counter > CounterMask)
        {
            _lastMs++;
            _counter = (long)(_random.NextUInt64() & SeedMask);
        }
        if (_lastMs > 0xFFFF_FFFF_FFFF)
            throw new InvalidOperationException("The clock is past the year 10889, beyond the 48-bit timestamp of UUID v7.");
        return Compose(_lastMs, _counter, _random.NextUInt32());
    }

    private static Guid Compose(long unixMs, long counter, uint random)
    {
        Span<byte> b = stackalloc byte[16];
        b[0] = (byte)(unixMs >> 40);
        b[1] = (byte)(unixMs >> 32);
        b[2] = (byte)(unixMs >> 24);
        b[3] = (byte)(unixMs >> 16);
        b[4] = (byte)(unixMs >> 8);
        b[5] = (byte)unixMs;
        b[6] = (byte)(0x70 | ((counter >> 38) & 0x0F));
        b[7] = (byte)(counter >> 30);
        b[8] = (byte)(0x80 | ((counter >> 24) & 0x3F));
        b[9] = (byte)(counter >> 16);
        b[10] = (byte)(counter >> 8);
        b[11] = (byte)counter;
        b[12] = (byte)(random >> 24);
        b[13] = (byte)(random >> 16);
        b[14] = (byte)(random >> 8);
        b[15] = (byte)random;
        return new Guid(b, bigEndian: true);
    }
}
