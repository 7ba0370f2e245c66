namespace Coord.Locks.Tests;

/// <summary>
/// Counts who is inside a section that admits up to <c>capacity</c> at once: anyone entering while
/// <c>capacity</c> others are still inside is a violation (N+1 holders of a semaphore of N). Also keeps the
/// most ever inside together, so a test can show the section really admitted N, not fewer.
/// </summary>
internal sealed class OccupancyDetector(int capacity)
{
    private int _inside;
    private int _violations;
    private int _most;

    public int Violations => Volatile.Read(ref _violations);

    public int MostInside => Volatile.Read(ref _most);

    public void Enter()
    {
        var inside = Interlocked.Increment(ref _inside);
        if (inside > capacity)
            Interlocked.Increment(ref _violations);
        int most;
        while (inside > (most = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, inside, most) != most)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inside);
}
