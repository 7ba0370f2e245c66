namespace Coord.Ids.Segment;

/// <summary>The tag has no row in the segment table and auto-create is off.</summary>
public sealed class SegmentTagNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception for <paramref name="tag"/>.</summary>
    /// <param name="tag">The missing tag.</param>
    /// <param name="store">The store's description.</param>
    public SegmentTagNotFoundException(string tag, string store)
        : base($"Segment tag '{tag}' does not exist in {store}. Insert a row (biz_tag, max_id, step) for it, or switch on SegmentIdOptions.AutoCreateTags.")
    {
        Tag = tag;
        Store = store;
    }

    /// <summary>The segment tag concerned.</summary>
    public string Tag { get; }

    /// <summary>The store's description, for messages.</summary>
    public string Store { get; }
}
