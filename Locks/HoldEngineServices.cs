using Microsoft.Extensions.Logging;

namespace Coord.Locks;

/// <summary>What a provider lends the engine it builds (<see cref="IHoldEngine"/>): its metrics, where the engine counts every request it sends; its clock; its logger.</summary>
/// <param name="Metrics">The provider's request counts and meters.</param>
/// <param name="Time">The provider's clock (<see cref="LockOptions.TimeProvider"/>).</param>
/// <param name="Logger">The provider's logger; never null.</param>
internal readonly record struct HoldEngineServices(LockMetrics Metrics, TimeProvider Time, ILogger Logger);
