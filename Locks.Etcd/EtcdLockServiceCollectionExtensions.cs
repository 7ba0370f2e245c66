using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

public static class EtcdLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="EtcdLock"/> as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <example><c>services.AddEtcdLock(o => o.Endpoints = ["http://etcd-1:2379", "http://etcd-2:2379"]);</c></example>
    public static IServiceCollection AddEtcdLock(this IServiceCollection services, Action<EtcdLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new EtcdLock(options, provider.GetService<ILogger<EtcdLock>>()), name);
}
