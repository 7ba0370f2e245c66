using System.Collections.Concurrent;
using Coord.Client.Internal;
using Coord.Ids.Segment;

namespace Coord.Client;

/// <summary>
/// Segment ids (Leaf's biz_tag) from the Coord service, one prefetching buffer per tag. An unknown tag
/// fails with <see cref="CoordServiceException"/> code <c>unknown_tag</c>.
/// </summary>
public sealed class CoordSegmentIds : ISegmentIdGenerator, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PrefetchingIdBuffer<long>> _tags = new(StringComparer.Ordinal);
    private readonly Func<string, PrefetchingIdBuffer<long>> _create;

    internal CoordSegmentIds(Func<string, PrefetchingIdBuffer<long>> create) => _create = create;

    public ValueTask<long> NextAsync(string tag, CancellationToken cancellationToken = default)
        => Buffer(tag).NextAsync(cancellationToken);

    public ValueTask NextAsync(string tag, Memory<long> destination, CancellationToken cancellationToken = default)
        => Buffer(tag).FillAsync(destination, cancellationToken);

    private PrefetchingIdBuffer<long> Buffer(string tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > 128)
            throw new ArgumentException($"A segment tag is 1 to 128 characters; it had {tag?.Length ?? 0}.", nameof(tag));
        return _tags.GetOrAdd(tag, _create);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var buffer in _tags.Values)
            await buffer.DisposeAsync().ConfigureAwait(false);
    }
}
