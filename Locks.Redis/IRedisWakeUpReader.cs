using System.Globalization;

namespace Coord.Locks.Redis;

/// <summary>A waiter that reads the part of a wake-up message after its token (a hand-off's fence and time, or nothing).</summary>
internal interface IRedisWakeUpReader
{
    /// <summary>Reads a message; <paramref name="runWaiterHere"/> as in <see cref="Internal.WakeUpSignal.Set"/>.</summary>
    void Read(ReadOnlySpan<char> rest, bool runWaiterHere);

    /// <summary>
    /// Reads <c>":n1:n2:..."</c> (the rest of a message after the token) into <paramref name="numbers"/>;
    /// false when the message has another shape, which a waiter then ignores.
    /// </summary>
    static bool TryReadNumbers(ReadOnlySpan<char> rest, Span<long> numbers)
    {
        if (rest.Length < 2 || rest[0] != ':')
            return false;
        var body = rest[1..];
        Span<Range> parts = stackalloc Range[numbers.Length + 1];
        if (body.Split(parts, ':') != numbers.Length)
            return false;
        for (var i = 0; i < numbers.Length; i++)
        {
            if (!long.TryParse(body[parts[i]], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
                return false;
        }
        return true;
    }
}
