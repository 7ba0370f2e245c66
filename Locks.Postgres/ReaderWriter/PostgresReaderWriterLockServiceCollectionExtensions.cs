using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>Registration of the PostgreSQL reader-writer lock backend.</summary>
public static class PostgresReaderWriterLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="PostgresReaderWriterLock"/> as <see cref="IReaderWriterLock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="PostgresLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="IReaderWriterLock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddPostgresReaderWriterLock(o => o.ConnectionString = "Host=db;Database=app");</c></example>
    public static IServiceCollection AddPostgresReaderWriterLock(this IServiceCollection services, Action<PostgresLockOptions> configure, string? name = null)
        => services.AddCoordReaderWriterLock(configure, (options, provider) => new PostgresReaderWriterLock(options, provider.GetService<ILogger<PostgresReaderWriterLock>>()), name);
}
