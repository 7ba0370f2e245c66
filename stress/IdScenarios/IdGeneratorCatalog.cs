using Coord.Stress.Servers;

namespace Coord.Stress.IdScenarios;

/// <summary>
/// Every ID generator the runner knows, by name. Adding one is one entry: a factory that returns an
/// <see cref="IdSource"/> (a generator shared by all threads of the scenario).
/// </summary>
public static class IdGeneratorCatalog
{
    private sealed record Entry(string Name, string Description, Func<StressServers, CancellationToken, Task<IdSource>> Create);

    private static readonly Entry[] Entries =
    [
        new("bcl-uuid7", "peer: .NET Guid.CreateVersion7 (RFC 9562 v7, not monotonic within a millisecond)",
            (_, _) => Task.FromResult(new IdSource("bcl-uuid7", () => IdSource.From(Guid.CreateVersion7())))),
        new("uuidnext-v7", "peer: UUIDNext Uuid.NewSequential (v7)",
            (_, _) => Task.FromResult(new IdSource("uuidnext-v7", () => IdSource.From(UUIDNext.Uuid.NewSequential())))),
    ];

    public static IReadOnlyList<string> Names => Entries.Select(e => e.Name).ToArray();

    public static string Describe(string name) => Find(name).Description;

    public static Task<IdSource> CreateAsync(string name, StressServers servers, CancellationToken cancellationToken) => Find(name).Create(servers, cancellationToken);

    private static Entry Find(string name) => Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown ID generator '{name}'. Known: {string.Join(", ", Entries.Select(e => e.Name))}.", nameof(name));
}
