using Coord.Client.Internal;
using Coord.Ids;
using Coord.Ids.Snowflake;

namespace Coord.Client;

/// <summary>
/// Snowflake ids from the Coord service, fetched in batches and prefetched in the background, so
/// <see cref="Next()"/> returns from memory nearly always. Unique across every client of the service;
/// increasing within one batch, and across batches as the service issues them.
/// </summary>
public sealed class CoordSnowflakeIds : IIdGenerator<long>, IAsyncDisposable
{
    private readonly PrefetchingIdBuffer<long> _buffer;
    private readonly ServiceApi _api;

    internal CoordSnowflakeIds(PrefetchingIdBuffer<long> buffer, ServiceApi api)
    {
        _buffer = buffer;
        _api = api;
    }

    /// <summary>One id; blocks only when every prefetched id is used up (then throws <see cref="CoordServiceException"/> if the service fails).</summary>
    public long Next() => _buffer.Next();

    public void Next(Span<long> destination) => _buffer.Fill(destination);

    /// <summary>One id, waiting without blocking a thread when none is prefetched.</summary>
    public ValueTask<long> NextAsync(CancellationToken cancellationToken = default) => _buffer.NextAsync(cancellationToken);

    public ValueTask NextAsync(Memory<long> destination, CancellationToken cancellationToken = default) => _buffer.FillAsync(destination, cancellationToken);

    /// <summary>The timestamp, worker id, rollback counter and sequence of <paramref name="id"/>, by the service's layout and epoch.</summary>
    public Task<SnowflakeIdParts> DecodeAsync(long id, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        return _api.DecodeSnowflakeAsync(id, cancellationToken);
    }

    public ValueTask DisposeAsync() => _buffer.DisposeAsync();
}
