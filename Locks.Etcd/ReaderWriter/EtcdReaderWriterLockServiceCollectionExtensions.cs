using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>Registration of the etcd reader-writer lock backend.</summary>
public static class EtcdReaderWriterLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="EtcdReaderWriterLock"/> as <see cref="IReaderWriterLock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, as for <see cref="EtcdLock"/>; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="IReaderWriterLock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    /// <example><c>services.AddEtcdReaderWriterLock(o => o.Endpoints = ["http://etcd-1:2379", "http://etcd-2:2379"]);</c></example>
    public static IServiceCollection AddEtcdReaderWriterLock(this IServiceCollection services, Action<EtcdLockOptions> configure, string? name = null)
        => services.AddCoordReaderWriterLock(configure, (options, provider) => new EtcdReaderWriterLock(options, provider.GetService<ILogger<EtcdReaderWriterLock>>()), name);
}
