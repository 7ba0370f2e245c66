using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>Registration of the in-memory lock backend.</summary>
public static class InMemoryLockServiceCollectionExtensions
{
    /// <summary>Registers an in-process <see cref="InMemoryLock"/> (development and examples only) as <see cref="ILock"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; null keeps the defaults.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    public static IServiceCollection AddInMemoryLock(this IServiceCollection services, Action<InMemoryLockOptions>? configure = null, string? name = null)
        => services.AddCoordLock(configure ?? (_ => { }), (options, provider) => new InMemoryLock(options, provider.GetService<ILogger<InMemoryLock>>()), name);
}
