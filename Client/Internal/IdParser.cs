namespace Coord.Client.Internal;

/// <summary>Parses one id from the UTF-8 text of a JSON string; false when it is not one.</summary>
internal delegate bool IdParser<T>(ReadOnlySpan<byte> utf8, out T id);
