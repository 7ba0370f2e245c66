using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>Registration of the ZooKeeper leader-election backend.</summary>
public static class ZooKeeperLeaderElectionServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="ZooKeeperLeaderElection"/> as <see cref="ILeaderElection"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="ZooKeeperLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILeaderElection"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddZooKeeperLeaderElection(o => { o.ConnectString = "zk-1:2181,zk-2:2181"; o.Root = "/coord/elections"; });</c></example>
    public static IServiceCollection AddZooKeeperLeaderElection(this IServiceCollection services, Action<ZooKeeperLockOptions> configure, string? name = null)
        => services.AddCoordLeaderElection(configure, (options, provider) => new ZooKeeperLeaderElection(options, provider.GetService<ILogger<ZooKeeperLeaderElection>>()), name);
}
