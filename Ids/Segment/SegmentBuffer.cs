namespace Coord.Ids.Segment;

/// <summary>The two segments of one tag (Leaf's double buffer) and the state of its loads.</summary>
internal sealed class SegmentBuffer(string tag)
{
    public readonly Lock Gate = new();
    public string Tag { get; } = tag;

    // Current: [Position, End). PreloadAt: first id whose issue starts loading the next segment.
    public long Position;
    public long End;
    public long PreloadAt;

    public SegmentAllocation? Next;

    /// <summary>The load in flight (null if none); its result is the failure, or null on success.</summary>
    public Task<Exception?>? Loading;

    /// <summary>Counts loads started, so a caller can tell a load begun after it arrived from an older one.</summary>
    public long LoadsStarted;

    /// <summary>The adaptive step; 0 until the first load, which uses the tag's stored step.</summary>
    public int Step;

    public int StoredStep;

    public long LastLoadTimestamp;

    /// <summary>After a failed background load, the next one waits until this timestamp, so an outage is not hammered.</summary>
    public long RetryBackgroundLoadAt;

    /// <summary>Takes one id from the current segment, or moves to the next segment when the current one is used up.</summary>
    public bool TryTake(out long id)
    {
        if (Position >= End)
        {
            if (Next is not { } next)
            {
                id = 0;
                return false;
            }
            Next = null;
            Position = next.Start;
            End = next.MaxId;
            PreloadAt = 0; // set by the caller, which knows the threshold
        }
        id = Position++;
        return true;
    }
}
