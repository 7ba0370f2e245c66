using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>Registration of the in-memory semaphore backend.</summary>
public static class InMemorySemaphoreServiceCollectionExtensions
{
    /// <summary>Registers an in-process <see cref="InMemorySemaphore"/> (development and examples only) as <see cref="ISemaphore"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; null keeps the defaults.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ISemaphore"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    public static IServiceCollection AddInMemorySemaphore(this IServiceCollection services, Action<InMemoryLockOptions>? configure = null, string? name = null)
        => services.AddCoordSemaphore(configure ?? (_ => { }), (options, provider) => new InMemorySemaphore(options, provider.GetService<ILogger<InMemorySemaphore>>()), name);
}
