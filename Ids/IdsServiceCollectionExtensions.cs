using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Coord.Ids;

/// <summary>Registers Coord's id generators as singletons. Options are validated at registration.</summary>
public static class IdsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SnowflakeGeneratorProvider"/>; with a static worker id also
    /// <see cref="SnowflakeGenerator"/> itself (a leased id needs <c>await provider.GetAsync()</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the layout, epoch and worker id (static or leased); run once, now.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message says what is allowed.</exception>
    public static IServiceCollection AddCoordSnowflake(this IServiceCollection services, Action<SnowflakeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SnowflakeOptions();
        configure(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new SnowflakeGeneratorProvider(options, sp.GetService<TimeProvider>()));
        if (options.WorkerId is not null)
        {
            services.AddSingleton(sp => sp.GetRequiredService<SnowflakeGeneratorProvider>().GetAsync().Result);
            services.AddSingleton<IIdGenerator<long>>(sp => sp.GetRequiredService<SnowflakeGenerator>());
        }
        return services;
    }

    /// <summary>
    /// Registers <see cref="SegmentIdGenerator"/> (and <see cref="ISegmentIdGenerator"/>) over the registered
    /// <see cref="ISegmentStore"/> (Coord.Ids.Postgres: <c>AddPostgresSegmentStore</c>), or over an in-memory store
    /// (dev mode) when none is registered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets step and preload settings; null keeps the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message says what is allowed.</exception>
    public static IServiceCollection AddCoordSegmentIds(this IServiceCollection services, Action<SegmentIdOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new SegmentIdOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton<ISegmentStore, InMemorySegmentStore>();
        services.AddSingleton(sp => new SegmentIdGenerator(sp.GetRequiredService<ISegmentStore>(), options,
            sp.GetService<TimeProvider>(), sp.GetService<ILogger<SegmentIdGenerator>>()));
        services.AddSingleton<ISegmentIdGenerator>(sp => sp.GetRequiredService<SegmentIdGenerator>());
        return services;
    }

    /// <summary>Registers <see cref="UuidV7Generator"/> and <see cref="UuidV4Generator"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddCoordUuids(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp => new UuidV7Generator(sp.GetService<TimeProvider>()));
        services.AddSingleton<UuidV4Generator>();
        return services;
    }
}
