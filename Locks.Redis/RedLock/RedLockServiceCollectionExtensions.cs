using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.RedLock;

public static class RedLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedLockLock"/> over independent masters as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    public static IServiceCollection AddRedLock(this IServiceCollection services, Action<RedLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new RedLockLock(options, provider.GetService<ILogger<RedLockLock>>()), name);
}
