using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

public static class RedisLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedisLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <example><c>services.AddRedisLock(o => o.Configuration = "redis:6379");</c></example>
    public static IServiceCollection AddRedisLock(this IServiceCollection services, Action<RedisLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new RedisLock(options, provider.GetService<ILogger<RedisLock>>()), name);
}
