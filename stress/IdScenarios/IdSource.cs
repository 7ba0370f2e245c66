namespace Coord.Stress.IdScenarios;

/// <summary>
/// One ID generator as the runner drives it from many threads at once: every ID widened to 128 bits so
/// one duplicate check fits 64-bit IDs and UUIDs alike.
/// </summary>
public sealed class IdSource(string name, Func<UInt128> next, IAsyncDisposable? owner = null) : IAsyncDisposable
{
    public string Name { get; } = name;
    public Func<UInt128> Next { get; } = next;

    public static UInt128 From(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static UInt128 From(long id) => (UInt128)(ulong)id;

    public ValueTask DisposeAsync() => owner?.DisposeAsync() ?? ValueTask.CompletedTask;
}
