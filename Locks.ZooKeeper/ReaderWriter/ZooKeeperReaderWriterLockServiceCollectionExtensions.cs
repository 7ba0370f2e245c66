using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>Registration of the ZooKeeper reader-writer lock backend.</summary>
public static class ZooKeeperReaderWriterLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="ZooKeeperReaderWriterLock"/> as <see cref="IReaderWriterLock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="ZooKeeperLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="IReaderWriterLock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddZooKeeperReaderWriterLock(o => o.ConnectString = "zk-1:2181,zk-2:2181,zk-3:2181");</c></example>
    public static IServiceCollection AddZooKeeperReaderWriterLock(this IServiceCollection services, Action<ZooKeeperLockOptions> configure, string? name = null)
        => services.AddCoordReaderWriterLock(configure, (options, provider) => new ZooKeeperReaderWriterLock(options, provider.GetService<ILogger<ZooKeeperReaderWriterLock>>()), name);
}
