namespace Coord.Locks.Tests;

/// <summary>
/// Watches a section guarded by a reader-writer lock: a writer entering while anyone else is inside, or a reader
/// entering while a writer is inside, is a violation. Every enter counts itself first and then looks at the
/// other side (both interlocked), so of two holders entering at once at least one sees the other. Also keeps the
/// most readers ever inside together, so a test can show readers really shared the section.
/// </summary>
internal sealed class ReaderWriterDetector
{
    private int _readers;
    private int _writers;
    private int _violations;
    private int _mostReaders;

    public int Violations => Volatile.Read(ref _violations);

    public int MostReadersInside => Volatile.Read(ref _mostReaders);

    public void EnterRead()
    {
        var readers = Interlocked.Increment(ref _readers);
        if (Interlocked.CompareExchange(ref _writers, 0, 0) != 0)
            Interlocked.Increment(ref _violations);
        int most;
        while (readers > (most = Volatile.Read(ref _mostReaders)) && Interlocked.CompareExchange(ref _mostReaders, readers, most) != most)
        {
        }
    }

    public void LeaveRead() => Interlocked.Decrement(ref _readers);

    public void EnterWrite()
    {
        if (Interlocked.Increment(ref _writers) != 1 || Interlocked.CompareExchange(ref _readers, 0, 0) != 0)
            Interlocked.Increment(ref _violations);
    }

    public void LeaveWrite() => Interlocked.Decrement(ref _writers);
}
