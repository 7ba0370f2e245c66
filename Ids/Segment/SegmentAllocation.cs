namespace Coord.Ids.Segment;

/// <summary>
/// One segment handed out by a store: ids <c>[MaxId - Step, MaxId)</c>, as in Leaf.
/// </summary>
/// <param name="MaxId">The tag's <c>max_id</c> after the allocation.</param>
/// <param name="Step">How far this allocation advanced <c>max_id</c> (the segment size).</param>
/// <param name="StoredStep">The tag's configured <c>step</c> column; the adaptive step never goes below it.</param>
public readonly record struct SegmentAllocation(long MaxId, int Step, int StoredStep)
{
    /// <summary>First id of the segment (inclusive); <see cref="MaxId"/> is the exclusive end.</summary>
    public long Start => MaxId - Step;
}
