using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>Registration of the etcd leader-election backend.</summary>
public static class EtcdLeaderElectionServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="EtcdLeaderElection"/> as <see cref="ILeaderElection"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILeaderElection"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddEtcdLeaderElection(o => o.Endpoints = ["http://etcd-1:2379", "http://etcd-2:2379"]);</c></example>
    public static IServiceCollection AddEtcdLeaderElection(this IServiceCollection services, Action<EtcdLeaderElectionOptions> configure, string? name = null)
        => services.AddCoordLeaderElection(configure, (options, provider) => new EtcdLeaderElection(options, provider.GetService<ILogger<EtcdLeaderElection>>()), name);
}
