namespace Coord.Ids.Segment;

/// <summary>
/// The tag does not exist, and the generator has already created <see cref="Limit"/> tags on first use
/// (<see cref="SegmentIdOptions.MaxAutoCreatedTags"/>), so it makes no more: a bound on what callers
/// naming ever new tags can make a store hold.
/// </summary>
public sealed class SegmentTagLimitReachedException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="tag"/>.</summary>
    /// <param name="tag">The tag that was not created.</param>
    /// <param name="limit">The generator's <see cref="SegmentIdOptions.MaxAutoCreatedTags"/>.</param>
    /// <param name="store">The store's description.</param>
    public SegmentTagLimitReachedException(string tag, int limit, string store)
        : base($"Segment tag '{tag}' does not exist in {store}, and this generator has already created its limit of {limit} tags on first use (SegmentIdOptions.MaxAutoCreatedTags). Use an existing tag, or create the tag in the store.")
    {
        Tag = tag;
        Limit = limit;
        Store = store;
    }

    /// <summary>The segment tag concerned.</summary>
    public string Tag { get; }

    /// <summary>How many tags the generator may create on first use.</summary>
    public int Limit { get; }

    /// <summary>The store's description, for messages.</summary>
    public string Store { get; }
}
