using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

public static class PostgresLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="PostgresLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <example><c>services.AddPostgresLock(o => o.ConnectionString = "Host=db;Username=app");</c></example>
    public static IServiceCollection AddPostgresLock(this IServiceCollection services, Action<PostgresLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new PostgresLock(options, provider.GetService<ILogger<PostgresLock>>()), name);
}
