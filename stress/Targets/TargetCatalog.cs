using Coord.Stress.Engine;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// The implementations of one primitive the runner knows, by name: <see cref="LockTargetCatalog"/> for
/// locks, <see cref="SemaphoreTargetCatalog"/> for semaphores. Adding one is one <see cref="TargetEntry"/>.
/// </summary>
public sealed class TargetCatalog(string kind, IReadOnlyList<TargetEntry> entries)
{
    /// <summary>What the entries are, for messages: <c>lock</c> or <c>semaphore</c>.</summary>
    public string Kind => kind;

    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToArray();
    public IReadOnlyList<string> CoordNames => entries.Where(e => !e.IsPeer).Select(e => e.Name).ToArray();
    public IReadOnlyList<string> PeerNames => entries.Where(e => e.IsPeer).Select(e => e.Name).ToArray();

    public string Describe(string name) => Find(name).Description;

    public Task<LockTarget> CreateAsync(string name, StressServers servers, LockTargetCatalog.Settings settings, CancellationToken cancellationToken)
        => Find(name).Create(servers, settings, cancellationToken);

    /// <summary>The catalog a scenario's target comes from: semaphores when it has permits, else locks.</summary>
    public static TargetCatalog Of(LockScenario scenario) => scenario.Permits is null ? LockTargetCatalog.Catalog : SemaphoreTargetCatalog.Catalog;

    /// <summary>Makes the target of <paramref name="scenario"/> from its catalog, with the scenario's permits for a semaphore.</summary>
    public static Task<LockTarget> CreateForAsync(LockScenario scenario, StressServers servers, LockTargetCatalog.Settings settings, CancellationToken cancellationToken)
        => Of(scenario).CreateAsync(scenario.Target, servers, settings with { Permits = scenario.Capacity }, cancellationToken);

    private TargetEntry Find(string name) => entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown {kind} target '{name}'. Known: {string.Join(", ", entries.Select(e => e.Name))}.", nameof(name));
}
