namespace Coord.Stress.Engine;

/// <summary>
/// Watches the holds of one reader-writer lock name as they happen. A writer entering while anyone (reader or
/// writer) is inside, or a reader entering while a writer is inside, is a violation; readers beside readers are
/// allowed and their most at once is counted. Fencing: a writer's token must be above every token seen before
/// it entered (everyone before it has left), a reader's above the last writer's (readers' own grants may return
/// in any order).
/// </summary>
public sealed class ReaderWriterMonitor
{
    private readonly Lock _gate = new();
    private int _readers;
    private int _writers;
    private long? _highestFence;
    private long? _lastWriterFence;

    public long Violations { get; private set; }
    public long FencesOutOfOrder { get; private set; }
    public int PeakReaders { get; private set; }

    /// <summary>Records a hold starting; call after the acquire returned, before the critical section.</summary>
    public void Enter(bool write, long? fence)
    {
        lock (_gate)
        {
            if (write ? _readers + _writers > 0 : _writers > 0)
                Violations++;
            if (write)
            {
                _writers++;
                if (fence is { } f)
                {
                    if (_highestFence is { } highest && f <= highest)
                        FencesOutOfOrder++;
                    _lastWriterFence = f;
                }
            }
            else
            {
                _readers++;
                PeakReaders = Math.Max(PeakReaders, _readers);
                if (fence is { } f && _lastWriterFence is { } writer && f <= writer)
                    FencesOutOfOrder++;
            }
            if (fence is { } seen)
                _highestFence = Math.Max(_highestFence ?? seen, seen);
        }
    }

    /// <summary>Records a hold ending; call after the critical section, before the release is sent.</summary>
    public void Exit(bool write)
    {
        lock (_gate)
        {
            if (write)
                _writers--;
            else
                _readers--;
        }
    }
}
