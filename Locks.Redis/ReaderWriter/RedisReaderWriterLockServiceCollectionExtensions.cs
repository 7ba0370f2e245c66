using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>Registration of the Redis reader-writer lock backend.</summary>
public static class RedisReaderWriterLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedisReaderWriterLock"/> as <see cref="IReaderWriterLock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="RedisLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="IReaderWriterLock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddRedisReaderWriterLock(o => o.Configuration = "redis:6379");</c></example>
    public static IServiceCollection AddRedisReaderWriterLock(this IServiceCollection services, Action<RedisLockOptions> configure, string? name = null)
        => services.AddCoordReaderWriterLock(configure, (options, provider) => new RedisReaderWriterLock(options, provider.GetService<ILogger<RedisReaderWriterLock>>()), name);
}
