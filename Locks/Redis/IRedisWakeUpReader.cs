namespace Coord.Locks.Redis;

/// <summary>A waiter that reads the part of a wake-up message after its token (a hand-off's fence and time, or nothing).</summary>
internal interface IRedisWakeUpReader
{
    void Read(ReadOnlySpan<char> rest);
}
