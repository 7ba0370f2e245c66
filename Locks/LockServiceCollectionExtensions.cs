using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Coord.Locks;

/// <summary>
/// The one registration path every backend's <c>AddXxxLock</c>, <c>AddXxxSemaphore</c> and <c>AddXxxReaderWriterLock</c> go through: options are configured and
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
        var build = Configured(configure, create);

        // One provider per registration, reachable as the application's ILock and as the token-lease ILockLeases.
        if (name is null)
        {
            services.TryAddSingleton(build);
            services.TryAddSingleton<ILock>(provider => provider.GetRequiredService<ILockLeases>());
        }
        else
        {
            services.AddKeyedSingleton<ILockLeases>(name, (provider, _) => build(provider));
            services.AddKeyedSingleton<ILock>(name, (provider, key) => provider.GetRequiredKeyedService<ILockLeases>(key));
        }
        return services;
    }

    /// <summary>Registers one semaphore provider as a singleton <see cref="ISemaphore"/> (keyed by <paramref name="name"/> when given), configured as <see cref="AddCoordLock{TOptions}"/> configures a lock.</summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; it runs once now (to validate) and again when the provider is built. A registered <see cref="TimeProvider"/> is set before it runs.</param>
    /// <param name="create">Builds the provider from the configured options.</param>
    /// <param name="name">Service key for keyed registration; null registers the default (an existing default registration is kept).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configure"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the setting and what is allowed.</exception>
    public static IServiceCollection AddCoordSemaphore<TOptions>(
        this IServiceCollection services, Action<TOptions> configure, Func<TOptions, IServiceProvider, ISemaphore> create, string? name = null)
        where TOptions : LockOptions, new()
        => AddOneProvider(services, configure, create, name);

    /// <summary>Registers one reader-writer lock provider as a singleton <see cref="IReaderWriterLock"/> (keyed by <paramref name="name"/> when given), configured as <see cref="AddCoordLock{TOptions}"/> configures a lock.</summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; it runs once now (to validate) and again when the provider is built. A registered <see cref="TimeProvider"/> is set before it runs.</param>
    /// <param name="create">Builds the provider from the configured options.</param>
    /// <param name="name">Service key for keyed registration; null registers the default (an existing default registration is kept).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configure"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the setting and what is allowed.</exception>
    public static IServiceCollection AddCoordReaderWriterLock<TOptions>(
        this IServiceCollection services, Action<TOptions> configure, Func<TOptions, IServiceProvider, IReaderWriterLock> create, string? name = null)
        where TOptions : LockOptions, new()
        => AddOneProvider(services, configure, create, name);

    /// <summary>A singleton <typeparamref name="TService"/> built from options validated now, keyed by <paramref name="name"/> when given.</summary>
    private static IServiceCollection AddOneProvider<TOptions, TService>(
        IServiceCollection services, Action<TOptions> configure, Func<TOptions, IServiceProvider, TService> create, string? name)
        where TOptions : LockOptions, new()
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddSingleton(services, Configured(configure, create), name);
    }

    /// <summary>Registers one leader-election provider as a singleton <see cref="ILeaderElection"/> (keyed by <paramref name="name"/> when given), configured as <see cref="AddCoordLock{TOptions}"/> configures a lock.</summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; it runs once now (to validate) and again when the provider is built. A registered <see cref="TimeProvider"/> is set before it runs.</param>
    /// <param name="create">Builds the provider from the configured options.</param>
    /// <param name="name">Service key for keyed registration; null registers the default (an existing default registration is kept).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configure"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the setting and what is allowed.</exception>
    public static IServiceCollection AddCoordLeaderElection<TOptions>(
        this IServiceCollection services, Action<TOptions> configure, Func<TOptions, IServiceProvider, ILeaderElection> create, string? name = null)
        where TOptions : LockOptions, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddSingleton(services, Configured(configure, create), name);
    }

    /// <summary>One provider of <typeparamref name="TService"/> as a singleton: the default one, or keyed by <paramref name="name"/>.</summary>
    private static IServiceCollection AddSingleton<TService>(IServiceCollection services, Func<IServiceProvider, TService> build, string? name)
        where TService : class
    {
        if (name is null)
            services.TryAddSingleton(build);
        else
            services.AddKeyedSingleton<TService>(name, (provider, _) => build(provider));
        return services;
    }

    /// <summary>Validates <paramref name="configure"/>'s options now and returns the factory that builds the provider from them later.</summary>
    private static Func<IServiceProvider, TProvider> Configured<TOptions, TProvider>(Action<TOptions> configure, Func<TOptions, IServiceProvider, TProvider> create)
        where TOptions : LockOptions, new()
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(create);
        var probe = new TOptions();
        configure(probe);
        probe.Validate();
        return provider =>
        {
            var options = new TOptions();
            if (provider.GetService<TimeProvider>() is { } time)
                options.TimeProvider = time;
            configure(options);
            return create(options, provider);
        };
    }
}
