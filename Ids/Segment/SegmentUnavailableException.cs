namespace Coord.Ids.Segment;

/// <summary>Both buffers of a tag are empty and the store could not hand out a new segment.</summary>
public sealed class SegmentUnavailableException : InvalidOperationException
{
    public SegmentUnavailableException(string tag, string store, Exception inner)
        : base($"No ids left for segment tag '{tag}': its buffered segments are used up and loading the next one from {store} failed: {inner.Message}", inner)
        => Tag = tag;

    public string Tag { get; }
}
