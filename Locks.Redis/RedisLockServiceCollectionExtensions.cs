using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>Registration of the Redis lock backend.</summary>
public static class RedisLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedisLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddRedisLock(o => o.Configuration = "redis:6379");</c></example>
    public static IServiceCollection AddRedisLock(this IServiceCollection services, Action<RedisLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new RedisLock(options, provider.GetService<ILogger<RedisLock>>()), name);
}
