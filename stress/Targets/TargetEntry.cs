using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>One implementation a catalog knows: its command-line name, whether it is a peer library, and how to make it on the run's servers.</summary>
/// <param name="Name">Short name for <c>-b</c> and the reports, e.g. <c>redis</c> or <c>dlock-redis-sem</c>.</param>
/// <param name="IsPeer">True for the third-party libraries Coord is compared with.</param>
/// <param name="Description">One line for help and reports.</param>
/// <param name="Create">Asks <see cref="StressServers"/> for the servers it needs and returns the target on them.</param>
public sealed record TargetEntry(string Name, bool IsPeer, string Description, Func<StressServers, LockTargetCatalog.Settings, CancellationToken, Task<LockTarget>> Create);
