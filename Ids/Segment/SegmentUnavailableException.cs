namespace Coord.Ids.Segment;

/// <summary>Both buffers of a tag are empty and the store could not hand out a new segment.</summary>
public sealed class SegmentUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="tag"/>.</summary>
    /// <param name="tag">The tag that ran out of ids.</param>
    /// <param name="store">The store's description.</param>
    /// <param name="inner">The store's failure.</param>
    public SegmentUnavailableException(string tag, string store, Exception inner)
        : base($"No ids left for segment tag '{tag}': its buffered segments are used up and loading the next one from {store} failed: {inner.Message}", inner)
        => Tag = tag;

    /// <summary>The segment tag concerned.</summary>
    public string Tag { get; }
}
