using Coord.Client.Internal;
using Coord.Ids;

namespace Coord.Client;

/// <summary>RFC 9562 UUIDs from the Coord service (version 7 or 4), fetched in batches and prefetched in the background.</summary>
public sealed class CoordUuidIds : IIdGenerator<Guid>, IAsyncDisposable
{
    private readonly PrefetchingIdBuffer<Guid> _buffer;

    internal CoordUuidIds(PrefetchingIdBuffer<Guid> buffer, int version)
    {
        _buffer = buffer;
        Version = version;
    }

    /// <summary>7 (time-ordered) or 4 (random).</summary>
    public int Version { get; }

    public Guid Next() => _buffer.Next();

    public void Next(Span<Guid> destination) => _buffer.Fill(destination);

    public ValueTask<Guid> NextAsync(CancellationToken cancellationToken = default) => _buffer.NextAsync(cancellationToken);

    public ValueTask DisposeAsync() => _buffer.DisposeAsync();
}
