using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>Registration of the PostgreSQL lock backend.</summary>
public static class PostgresLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="PostgresLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddPostgresLock(o => o.ConnectionString = "Host=db;Username=app");</c></example>
    public static IServiceCollection AddPostgresLock(this IServiceCollection services, Action<PostgresLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new PostgresLock(options, provider.GetService<ILogger<PostgresLock>>()), name);
}
