using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>Registration of the in-memory leader-election backend.</summary>
public static class InMemoryLeaderElectionServiceCollectionExtensions
{
    /// <summary>Registers an in-process <see cref="InMemoryLeaderElection"/> (development and examples only) as <see cref="ILeaderElection"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; null keeps the defaults.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILeaderElection"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    public static IServiceCollection AddInMemoryLeaderElection(this IServiceCollection services, Action<InMemoryLockOptions>? configure = null, string? name = null)
        => services.AddCoordLeaderElection(configure ?? (_ => { }), (options, provider) => new InMemoryLeaderElection(options, provider.GetService<ILogger<InMemoryLeaderElection>>()), name);
}
