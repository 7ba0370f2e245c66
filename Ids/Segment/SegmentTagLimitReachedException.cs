namespace Coord.Ids.Segment;

/// <summary>
/// The tag does not exist, and the generator has already created <see cref="Limit"/> tags on first use
/// (<see cref="SegmentIdOptions.MaxAutoCreatedTags"/>), so it makes no more: a bound on what callers
/// naming ever new tags can make a store hold.
/// </summary>
public sealed class SegmentTagLimitReachedException : InvalidOperationException
{
    public SegmentTagLimitReachedException(string tag, int limit, string store)
        : base($"Segment tag '{tag}' does not exist in {store}, and this generator has already created its limit of {limit} tags on first use (SegmentIdOptions.MaxAutoCreatedTags). Use an existing tag, or create the tag in the store.")
    {
        Tag = tag;
        Limit = limit;
        Store = store;
    }

    public string Tag { get; }

    public int Limit { get; }

    /// <summary>The store's description, for messages.</summary>
    public string Store { get; }
}
