namespace Coord.Ids.Segment;

/// <summary>Where segments come from: a <c>leaf_alloc</c>-style table (or memory, in dev mode).</summary>
public interface ISegmentStore
{
    /// <summary>Names the store for messages, such as <c>PostgreSQL 127.0.0.1:5432 table leaf_alloc</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Advances the tag's <c>max_id</c> by <paramref name="step"/> (or by its stored step when null) in
    /// one atomic step and returns the segment; null when the tag does not exist.
    /// </summary>
    /// <param name="tag">The tag to allocate from.</param>
    /// <param name="step">Segment size; null uses the tag's stored step.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The allocated segment, or null when the tag does not exist.</returns>
    Task<SegmentAllocation?> AllocateAsync(string tag, int? step, CancellationToken cancellationToken);

    /// <summary>Creates the tag (<c>max_id</c> 1) unless it exists.</summary>
    /// <param name="tag">The tag to create.</param>
    /// <param name="step">Its stored step: the default segment size, at least 1.</param>
    /// <param name="description">Free text kept with the tag, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes once the tag exists.</returns>
    Task CreateTagAsync(string tag, int step, string? description, CancellationToken cancellationToken);
}
