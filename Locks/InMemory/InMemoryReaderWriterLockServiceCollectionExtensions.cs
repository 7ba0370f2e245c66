using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>Registration of the in-memory reader-writer lock backend.</summary>
public static class InMemoryReaderWriterLockServiceCollectionExtensions
{
    /// <summary>Registers an in-process <see cref="InMemoryReaderWriterLock"/> (development and examples only) as <see cref="IReaderWriterLock"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; null keeps the defaults.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="IReaderWriterLock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    public static IServiceCollection AddInMemoryReaderWriterLock(this IServiceCollection services, Action<InMemoryLockOptions>? configure = null, string? name = null)
        => services.AddCoordReaderWriterLock(configure ?? (_ => { }), (options, provider) => new InMemoryReaderWriterLock(options, provider.GetService<ILogger<InMemoryReaderWriterLock>>()), name);
}
