using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Coord.Ids.Uuid;

/// <summary>
/// Cryptographically strong random bytes drawn from the OS in 4 KiB refills, so one UUID costs a copy
/// instead of a system call. Not thread-safe: the owning generator serializes access.
/// </summary>
internal sealed class RandomBytes
{
    private readonly byte[] _buffer = new byte[4096];
    private int _position;

    public RandomBytes() => _position = _buffer.Length;

    public ReadOnlySpan<byte> Take(int count)
    {
        if (_position + count > _buffer.Length)
        {
            RandomNumberGenerator.Fill(_buffer);
            _position = 0;
        }
        var span = new ReadOnlySpan<byte>(_buffer, _position, count);
        _position += count;
        return span;
    }

    public uint NextUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong NextUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
}
