namespace Coord.Ids.Segment;

/// <summary>
/// Segments from memory, for dev mode and tests: one process only, and ids start again after a
/// restart, so never use it where ids must survive one.
/// </summary>
public sealed class InMemorySegmentStore : ISegmentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long MaxId, int Step)> _tags = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public string Description => "in-memory segment store";

    /// <summary>How many allocations were served (all tags).</summary>
    public long Allocations { get; private set; }

    /// <inheritdoc/>
    public Task<SegmentAllocation?> AllocateAsync(string tag, int? step, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tags.TryGetValue(tag, out var row))
                return Task.FromResult<SegmentAllocation?>(null);
            var by = step ?? row.Step;
            if (row.MaxId > long.MaxValue - by)
                throw new InvalidOperationException($"Segment tag '{tag}' has run out of ids: its max_id {row.MaxId} plus a step of {by} would pass {long.MaxValue}, the largest id.");
            var max = row.MaxId + by;
            _tags[tag] = (max, row.Step);
            Allocations++;
            return Task.FromResult<SegmentAllocation?>(new SegmentAllocation(max, by, row.Step));
        }
    }

    /// <inheritdoc/>
    public Task CreateTagAsync(string tag, int step, string? description, CancellationToken cancellationToken)
    {
        CreateTag(tag, step);
        return Task.CompletedTask;
    }

    /// <summary>Creates the tag unless it exists; <paramref name="maxId"/> is where ids start.</summary>
    public void CreateTag(string tag, int step, long maxId = 1)
    {
        SegmentIdOptions.ValidateTag(tag);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        lock (_gate)
            _tags.TryAdd(tag, (maxId, step));
    }
}
