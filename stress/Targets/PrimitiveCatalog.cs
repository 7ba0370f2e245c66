using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// The implementations of a primitive that has its own target type (reader-writer locks, elections), by name:
/// each one <see cref="PrimitiveEntry{TTarget}"/>. Locks and semaphores share <see cref="TargetCatalog"/>.
/// </summary>
public sealed class PrimitiveCatalog<TTarget>(string kind, IReadOnlyList<PrimitiveEntry<TTarget>> entries)
{
    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToArray();

    /// <summary>Expands <c>all</c>, <c>coord</c> and <c>peers</c> and checks every other name, keeping the order given.</summary>
    /// <exception cref="ArgumentException">A name is not in the catalog; the message lists the known ones.</exception>
    public IReadOnlyList<string> Resolve(IEnumerable<string> requested) => requested.SelectMany(name => name switch
    {
        "all" => entries.Select(e => e.Name),
        "coord" => entries.Where(e => !e.IsPeer).Select(e => e.Name),
        "peers" => entries.Where(e => e.IsPeer).Select(e => e.Name),
        _ => [Find(name).Name],
    }).Distinct(StringComparer.Ordinal).ToArray();

    public string Describe(string name) => Find(name).Description;

    /// <summary>True for a third-party library Coord is compared with.</summary>
    public bool IsPeer(string name) => Find(name).IsPeer;

    public Task<TTarget> CreateAsync(string name, StressServers servers, LockTargetCatalog.Settings settings, CancellationToken cancellationToken)
        => Find(name).Create(servers, settings, cancellationToken);

    private PrimitiveEntry<TTarget> Find(string name) => entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown {kind} target '{name}'. Known: all, coord, peers, {string.Join(", ", entries.Select(e => e.Name))}.", nameof(name));
}
