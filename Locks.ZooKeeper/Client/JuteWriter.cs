using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Coord.Locks.ZooKeeper.Client;

/// <summary>
/// Writes ZooKeeper's jute encoding: big-endian integers, length-prefixed UTF-8 strings and byte
/// buffers (-1 for null), one-byte booleans, count-prefixed vectors. A frame starts with a 4-byte
/// length that <see cref="ToFrame"/> fills in at the end.
/// </summary>
internal sealed class JuteWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(128);

    public JuteWriter() => WriteInt(0); // room for the frame length

    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteBool(bool value)
    {
        _buffer.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _buffer.Advance(1);
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        _buffer.Write(value);
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    public void WriteStrings(IReadOnlyCollection<string> values)
    {
        WriteInt(values.Count);
        foreach (var value in values)
            WriteString(value);
    }

    /// <summary>The world:anyone ALL access list, the only one Coord needs.</summary>
    public void WriteOpenAcl()
    {
        WriteInt(1);
        WriteInt(31); // READ | WRITE | CREATE | DELETE | ADMIN
        WriteString("world");
        WriteString("anyone");
    }

    /// <summary>The finished frame, length prefix included.</summary>
    public byte[] ToFrame()
    {
        var frame = _buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }
}
