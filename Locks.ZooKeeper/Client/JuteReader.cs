using System.Buffers.Binary;
using System.Text;

namespace Coord.Locks.ZooKeeper.Client;

/// <summary>Reads the jute encoding written by <see cref="JuteWriter"/> from one received frame.</summary>
internal sealed class JuteReader(byte[] frame)
{
    private int _position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    public byte[]? ReadBuffer()
    {
        var length = ReadInt();
        return length < 0 ? null : Take(length).ToArray();
    }

    public string? ReadString()
    {
        var length = ReadInt();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public IReadOnlyList<string> ReadStrings()
    {
        var count = ReadInt();
        var values = new string[Math.Max(count, 0)];
        for (var i = 0; i < values.Length; i++)
            values[i] = ReadString() ?? "";
        return values;
    }

    public ZooKeeperStat ReadStat() => new(
        Czxid: ReadLong(), Mzxid: ReadLong(), Ctime: ReadLong(), Mtime: ReadLong(),
        Version: ReadInt(), Cversion: ReadInt(), Aversion: ReadInt(), EphemeralOwner: ReadLong(),
        DataLength: ReadInt(), NumChildren: ReadInt(), Pzxid: ReadLong());

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > frame.Length - _position)
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"a reply ended early: wanted {count} more bytes at offset {_position} of {frame.Length}");
        var span = frame.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
