using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>Registration of the PostgreSQL semaphore backend.</summary>
public static class PostgresSemaphoreServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="PostgresSemaphore"/> as <see cref="ISemaphore"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="PostgresLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ISemaphore"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddPostgresSemaphore(o => o.ConnectionString = "Host=db;Username=app");</c></example>
    public static IServiceCollection AddPostgresSemaphore(this IServiceCollection services, Action<PostgresLockOptions> configure, string? name = null)
        => services.AddCoordSemaphore(configure, (options, provider) => new PostgresSemaphore(options, provider.GetService<ILogger<PostgresSemaphore>>()), name);
}
