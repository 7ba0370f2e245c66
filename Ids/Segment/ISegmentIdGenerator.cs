namespace Coord.Ids.Segment;

/// <summary>
/// Ids per tag from pre-allocated segments. Calls complete synchronously while a buffer holds ids;
/// they wait on the store only when both buffers of the tag are empty.
/// </summary>
public interface ISegmentIdGenerator
{
    /// <summary>Issues one id of <paramref name="tag"/>; completes synchronously while a buffer holds ids.</summary>
    /// <param name="tag">The id sequence's name (Leaf's <c>biz_tag</c>): 1 to 128 characters.</param>
    /// <param name="cancellationToken">Stops a wait on the store; ids already buffered are issued without waiting.</param>
    /// <returns>An id unique within the tag across every generator sharing the store.</returns>
    /// <exception cref="ArgumentException"><paramref name="tag"/> is null, empty or longer than 128 characters.</exception>
    /// <exception cref="SegmentTagNotFoundException">The tag does not exist in the store and <see cref="SegmentIdOptions.AutoCreateTags"/> is off.</exception>
    /// <exception cref="SegmentTagLimitReachedException">The tag does not exist and this generator has already created <see cref="SegmentIdOptions.MaxAutoCreatedTags"/> tags.</exception>
    /// <exception cref="SegmentUnavailableException">The tag's buffered ids are used up and the store could not hand out the next segment.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting for the store.</exception>
    /// <exception cref="ObjectDisposedException">The generator was disposed while waiting for the store.</exception>
    ValueTask<long> NextAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>Fills <paramref name="destination"/> with ids of <paramref name="tag"/>, in issue order.</summary>
    /// <param name="tag">The id sequence's name (Leaf's <c>biz_tag</c>): 1 to 128 characters.</param>
    /// <param name="destination">Filled completely; an empty one returns at once.</param>
    /// <param name="cancellationToken">Stops a wait on the store; on cancellation part of <paramref name="destination"/> may already be filled.</param>
    /// <returns>A task that completes when <paramref name="destination"/> is full.</returns>
    /// <exception cref="ArgumentException"><paramref name="tag"/> is null, empty or longer than 128 characters.</exception>
    /// <exception cref="SegmentTagNotFoundException">The tag does not exist in the store and <see cref="SegmentIdOptions.AutoCreateTags"/> is off.</exception>
    /// <exception cref="SegmentTagLimitReachedException">The tag does not exist and this generator has already created <see cref="SegmentIdOptions.MaxAutoCreatedTags"/> tags.</exception>
    /// <exception cref="SegmentUnavailableException">The tag's buffered ids are used up and the store could not hand out the next segment.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting for the store.</exception>
    /// <exception cref="ObjectDisposedException">The generator was disposed while waiting for the store.</exception>
    ValueTask NextAsync(string tag, Memory<long> destination, CancellationToken cancellationToken = default);
}
