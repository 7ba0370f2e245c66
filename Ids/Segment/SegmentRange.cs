namespace Coord.Ids.Segment;

/// <summary>
/// The segment ids are drawn from now: <c>[Start, End)</c>, handed out by moving a claim counter with one
/// atomic add per draw, so concurrent callers never take a lock on the hot path.
/// </summary>
/// <remarks>
/// The counter counts ids claimed from <see cref="Start"/>, not the next id itself: draws keep adding to it
/// after the segment is drained, and an id cursor that ended near <see cref="long.MaxValue"/> (a tag's
/// max_id at the top of its range) would wrap round to negative ids.
/// </remarks>
internal sealed class SegmentRange
{
    // A thread takes this many ids at once for its own use; small segments go one by one so the
    // preload point and the unissued ranges stay exact where a step is tiny.
    private const int MaxChunk = 256;
    private const int SegmentsPerChunk = 64;

    private readonly long _size;
    private long _claimed;

    public SegmentRange(long start, long end, long preloadAt)
    {
        Start = start;
        End = end;
        PreloadAt = preloadAt;
        _size = end - start;
        ChunkSize = (int)Math.Clamp(_size / SegmentsPerChunk, 1, MaxChunk);
    }

    public long Start { get; }
    public long End { get; }

    /// <summary>The first id whose draw starts loading the next segment.</summary>
    public long PreloadAt { get; }

    public int ChunkSize { get; }

    /// <summary>The next id to hand out; <see cref="End"/> once the segment is drained.</summary>
    public long Cursor => Start + Math.Min(Volatile.Read(ref _claimed), _size);

    /// <summary>Claims up to <paramref name="count"/> ids; false when the segment is drained.</summary>
    public bool TryClaim(long count, out long start, out long end)
    {
        // Once drained, a draw adds nothing, so the counter stays far from overflowing however often it is asked.
        if (Volatile.Read(ref _claimed) >= _size)
        {
            start = end = End;
            return false;
        }
        var after = Interlocked.Add(ref _claimed, count);
        var before = after - count;
        start = Start + Math.Min(before, _size);
        end = Start + Math.Min(after, _size);
        return before < _size;
    }
}
