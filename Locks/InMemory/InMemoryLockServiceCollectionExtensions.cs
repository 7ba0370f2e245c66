using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

public static class InMemoryLockServiceCollectionExtensions
{
    /// <summary>Registers an in-process <see cref="InMemoryLock"/> (development and examples only) as <see cref="ILock"/>.</summary>
    public static IServiceCollection AddInMemoryLock(this IServiceCollection services, Action<InMemoryLockOptions>? configure = null, string? name = null)
        => services.AddCoordLock(configure ?? (_ => { }), (options, provider) => new InMemoryLock(options, provider.GetService<ILogger<InMemoryLock>>()), name);
}
