namespace Coord.Ids.Tests;

/// <summary>
/// A clock that moves forward by a fixed step on every read, for long deterministic runs where
/// FakeTimeProvider's locked reads would dominate the test's time. Not thread-safe: one generator
/// reads it, under its own lock.
/// </summary>
internal sealed class SteppingClock(DateTimeOffset start, TimeSpan stepPerRead) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow()
    {
        _ticks += stepPerRead.Ticks;
        return new DateTimeOffset(_ticks, TimeSpan.Zero);
    }
}
