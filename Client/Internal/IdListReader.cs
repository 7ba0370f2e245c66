using System.Buffers.Text;
using System.Text.Json;

namespace Coord.Client.Internal;

/// <summary>
/// Reads the <c>ids</c> array of an id list answer straight from its UTF-8 bytes: at a million ids a
/// second, a string per id would cost more than the network.
/// </summary>
internal static class IdListReader
{
    public static readonly IdParser<long> Int64 = static (ReadOnlySpan<byte> utf8, out long id)
        => Utf8Parser.TryParse(utf8, out id, out var used) && used == utf8.Length && id >= 0;

    public static readonly IdParser<Guid> Uuid = static (ReadOnlySpan<byte> utf8, out Guid id)
        => Utf8Parser.TryParse(utf8, out id, out var used, 'D') && used == utf8.Length;

    public static T[] Read<T>(ReadOnlySpan<byte> body, int expected, IdParser<T> parse)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw Malformed("the answer is not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("ids"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw Malformed("'ids' is not an array");
            var ids = new T[expected];
            var count = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                if (count == ids.Length)
                    throw Malformed($"it holds more than the {expected} ids asked for");
                var ok = reader.ValueIsEscaped
                    ? parse(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!), out ids[count])
                    : parse(reader.ValueSpan, out ids[count]);
                if (!ok)
                    throw Malformed($"id {count} is not a valid id");
                count++;
            }
            if (reader.TokenType != JsonTokenType.EndArray)
                throw Malformed("'ids' holds something other than strings");
            return count == ids.Length ? ids : ids[..count];
        }
        throw Malformed("it has no 'ids'");
    }

    private static CoordServiceException Malformed(string why)
        => new($"The Coord service answered an id request that cannot be read: {why}.", System.Net.HttpStatusCode.OK, null, null);
}
