using Coord.Service.Ids;

namespace Coord.Service.Health;

/// <summary>Segments from PostgreSQL are ready when a tag can be read: a tag-less probe proves the store answers.</summary>
public sealed class SegmentStoreReadinessCheck(IdServices ids) : IReadinessCheck
{
    public string Name => $"segment store ({ids.Segments.Store.Description})";

    public async Task CheckAsync(CancellationToken cancellationToken)
        => await ids.Segments.Store.AllocateAsync(ProbeTag, 1, cancellationToken);

    // Allocating for a tag that does not exist changes nothing and answers null; it still needs the database.
    private const string ProbeTag = "coord-readyz-probe-never-created";
}
