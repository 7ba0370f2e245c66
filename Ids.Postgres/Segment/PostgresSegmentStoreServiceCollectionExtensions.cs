using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Coord.Ids.Segment;

/// <summary>Registers the PostgreSQL segment store that <c>AddCoordSegmentIds</c> draws from.</summary>
public static class PostgresSegmentStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PostgresSegmentStore"/> as the <see cref="ISegmentStore"/>, in place of the in-memory
    /// store that <c>AddCoordSegmentIds</c> falls back to; the order of the two calls does not matter.
    /// </summary>
    /// <param name="services">The service collection to add to.</param>
    /// <param name="configure">Sets the connection string and, optionally, the table and timeouts.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid (no connection string, a table name that is not a plain SQL identifier).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The command timeout is outside 1 s to 5 min.</exception>
    public static IServiceCollection AddPostgresSegmentStore(this IServiceCollection services, Action<PostgresSegmentStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresSegmentStoreOptions();
        configure(options);
        options.Validate();
        services.RemoveAll<ISegmentStore>();
        services.AddSingleton<ISegmentStore>(_ => new PostgresSegmentStore(options));
        return services;
    }
}
