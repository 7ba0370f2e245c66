namespace Coord.Locks.Tests;

/// <summary>
/// Counts who is inside a critical section: anyone entering while another is still inside is an
/// overlap, i.e. two holders of one lock at once. Holders call <see cref="Enter"/> after acquiring and
/// <see cref="Leave"/> before releasing.
/// </summary>
internal sealed class OverlapDetector
{
    private int _inside;
    private int _overlaps;

    public int Overlaps => Volatile.Read(ref _overlaps);

    public void Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1)
            Interlocked.Increment(ref _overlaps);
    }

    public void Leave() => Interlocked.Decrement(ref _inside);
}
