using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Coord.Locks;

/// <summary>
/// The one registration path every backend's <c>AddXxxLock</c> goes through: options are configured and
/// validated when registered (a bad setting fails at start-up, not at the first lock), the provider is a
/// singleton, and a name registers it as a keyed <see cref="ILock"/> so one
/// application can use several backends.
/// </summary>
public static class LockServiceCollectionExtensions
{
    /// <summary>Registers one lock provider as a singleton <see cref="ILockLeases"/> and <see cref="ILock"/> (keyed by <paramref name="name"/> when given).</summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; it runs once now (to validate) and again when the provider is built. A registered <see cref="TimeProvider"/> is set before it runs.</param>
    /// <param name="create">Builds the provider from the configured options.</param>
    /// <param name="name">Service key for keyed registration; null registers the default (an existing default registration is kept).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configure"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the setting and what is allowed.</exception>
    public static IServiceCollection AddCoordLock<TOptions>(
        this IServiceCollection services, Action<TOptions> configure, Func<TOptions, IServiceProvider, ILockLeases> create, string? name = null)
        where TOptions : LockOptions, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(create);
        var probe = new TOptions();
        configure(probe);
        probe.Validate();

        ILockLeases Build(IServiceProvider provider)
        {
            var options = new TOptions();
            if (provider.GetService<TimeProvider>() is { } time)
                options.TimeProvider = time;
            configure(options);
            return create(options, provider);
        }

        // One provider per registration, reachable as the application's ILock and as the token-lease ILockLeases.
        if (name is null)
        {
            services.TryAddSingleton(Build);
            services.TryAddSingleton<ILock>(provider => provider.GetRequiredService<ILockLeases>());
        }
        else
        {
            services.AddKeyedSingleton<ILockLeases>(name, (provider, _) => Build(provider));
            services.AddKeyedSingleton<ILock>(name, (provider, key) => provider.GetRequiredKeyedService<ILockLeases>(key));
        }
        return services;
    }
}
