using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

public static class ZooKeeperLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="ZooKeeperLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <example><c>services.AddZooKeeperLock(o => o.ConnectString = "zk-1:2181,zk-2:2181");</c></example>
    public static IServiceCollection AddZooKeeperLock(this IServiceCollection services, Action<ZooKeeperLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new ZooKeeperLock(options, provider.GetService<ILogger<ZooKeeperLock>>()), name);
}
