namespace Coord.Ids.Uuid;

/// <summary>
/// Random UUIDs, version 4 of RFC 9562: 122 random bits from the OS CSPRNG, buffered. Thread-safe.
/// </summary>
public sealed class UuidV4Generator : IIdGenerator<Guid>
{
    private readonly Lock _gate = new();
    private readonly RandomBytes _random = new();

    /// <inheritdoc/>
    public Guid Next()
    {
        lock (_gate)
            return Create(_random.Take(16));
    }

    /// <inheritdoc/>
    public void Next(Span<Guid> destination)
    {
        lock (_gate)
        {
            for (var i = 0; i < destination.Length; i++)
                destination[i] = Create(_random.Take(16));
        }
    }

    private static Guid Create(ReadOnlySpan<byte> random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // variant 10
        return new Guid(bytes, bigEndian: true);
    }
}
