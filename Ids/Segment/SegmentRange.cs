namespace Coord.Ids.Segment;

/// <summary>
/// The segment ids are drawn from now: <c>[Start, End)</c>, handed out by moving <see cref="Cursor"/>
/// with one atomic add per draw, so concurrent callers never take a lock on the hot path.
/// </summary>
internal sealed class SegmentRange
{
    // A thread takes this many ids at once for its own use; small segments go one by one so the
    // preload point and the unissued ranges stay exact where a step is tiny.
    private const int MaxChunk = 256;
    private const int SegmentsPerChunk = 64;

    public SegmentRange(long start, long end, long preloadAt)
    {
        Start = start;
        End = end;
        PreloadAt = preloadAt;
        Cursor = start;
        ChunkSize = (int)Math.Clamp((end - start) / SegmentsPerChunk, 1, MaxChunk);
    }

    public long Start { get; }
    public long End { get; }

    /// <summary>The first id whose draw starts loading the next segment.</summary>
    public long PreloadAt { get; }

    public int ChunkSize { get; }

    /// <summary>The next id to hand out; past <see cref="End"/> once the segment is drained.</summary>
    public long Cursor;

    /// <summary>Claims up to <paramref name="count"/> ids; false when the segment is drained.</summary>
    public bool TryClaim(long count, out long start, out long end)
    {
        start = Interlocked.Add(ref Cursor, count) - count;
        end = Math.Min(start + count, End);
        return start < End;
    }
}
