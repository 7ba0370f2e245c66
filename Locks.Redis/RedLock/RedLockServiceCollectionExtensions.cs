using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.RedLock;

/// <summary>Registration of the RedLock backend.</summary>
public static class RedLockServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="RedLockLock"/> over independent masters as <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; validated at registration, so a bad setting fails at start-up.</param>
    /// <param name="name">Service key for a keyed registration; null registers the default <see cref="ILock"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid.</exception>
    public static IServiceCollection AddRedLock(this IServiceCollection services, Action<RedLockOptions> configure, string? name = null)
        => services.AddCoordLock(configure, (options, provider) => new RedLockLock(options, provider.GetService<ILogger<RedLockLock>>()), name);
}
