namespace Coord.Ids.Segment;

/// <summary>
/// Ids per tag from pre-allocated segments. Calls complete synchronously while a buffer holds ids;
/// they wait on the store only when both buffers of the tag are empty.
/// </summary>
public interface ISegmentIdGenerator
{
    ValueTask<long> NextAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>Fills <paramref name="destination"/> with ids of <paramref name="tag"/>, in issue order.</summary>
    ValueTask NextAsync(string tag, Memory<long> destination, CancellationToken cancellationToken = default);
}
