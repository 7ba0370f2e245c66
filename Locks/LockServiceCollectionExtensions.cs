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
