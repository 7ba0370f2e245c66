using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>One implementation a <see cref="PrimitiveCatalog{TTarget}"/> knows: its <c>-b</c> name, whether it is a peer library, and how to make it on the run's servers.</summary>
public sealed record PrimitiveEntry<TTarget>(string Name, bool IsPeer, string Description, Func<StressServers, LockTargetCatalog.Settings, CancellationToken, Task<TTarget>> Create);
