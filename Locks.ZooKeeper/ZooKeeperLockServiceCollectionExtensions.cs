using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>Registration of the ZooKeeper lock backend.</summary>
public static class ZooKeeperLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="ZooKeeperLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddZooKeeperLock(o => o.ConnectString = "zk-1:2181,zk-2:2181");</c></example>
    public static IServiceCollection AddZooKeeperLock(this IServiceCollection services, Action<ZooKeeperLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new ZooKeeperLock(options, provider.GetService<ILogger<ZooKeeperLock>>()), name);
}
