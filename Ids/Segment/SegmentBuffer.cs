namespace Coord.Ids.Segment;

/// <summary>The two segments of one tag (Leaf's double buffer) and the state of its loads.</summary>
internal sealed class SegmentBuffer(string tag)
{
    /// <summary>Guards switching segments and starting loads; never taken while ids are drawn from a segment.</summary>
    public readonly Lock Gate = new();
    public string Tag { get; } = tag;

    public SegmentRange Current = new(0, 0, 0);

    /// <summary>Each thread's claimed, not yet issued ids (tracked so that they count as unissued).</summary>
    public readonly ThreadLocal<LocalChunk> Local = new(() => new LocalChunk(), trackAllValues: true);

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
}
