using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>Registration of the Redis leader-election backend.</summary>
public static class RedisLeaderElectionServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedisLeaderElection"/> as <see cref="ILeaderElection"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="RedisLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILeaderElection"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddRedisLeaderElection(o => o.Configuration = "redis:6379");</c></example>
    public static IServiceCollection AddRedisLeaderElection(this IServiceCollection services, Action<RedisLockOptions> configure, string? name = null)
        => services.AddCoordLeaderElection(configure, (options, provider) => new RedisLeaderElection(options, provider.GetService<ILogger<RedisLeaderElection>>()), name);
}
