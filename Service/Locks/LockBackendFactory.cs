using Coord.Locks;
using Coord.Service.Hosting;

namespace Coord.Service.Locks;

/// <summary>
/// The usual shape of a backend factory: bind the section onto the backend's options type, refuse
/// settings that would not be applied (a typo must not silently fall back to a default), create.
/// </summary>
public abstract class LockBackendFactory<TOptions> : ILockBackendFactory
    where TOptions : LockOptions, new()
{
    public abstract string Type { get; }

    public ILockLeases Create(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time)
        => Create(Bind(settings, time), loggers);

    public SemaphoreProvider? CreateSemaphore(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time)
        => CreateSemaphore(Bind(settings, time), loggers);

    public LeaderElectionProvider? CreateElection(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time)
        => CreateElection(settings, time, loggers);

    /// <summary>Creates the provider from bound options; the options are validated by the provider.</summary>
    protected abstract ILockLeases Create(TOptions options, ILoggerFactory loggers);

    /// <summary>Creates the semaphore provider from bound options, or null when the backend has none the service can use.</summary>
    protected virtual SemaphoreProvider? CreateSemaphore(TOptions options, ILoggerFactory loggers) => null;

    /// <summary>
    /// Creates the leader-election provider, or null when the backend has none the service can use. It gets the raw
    /// section, because a backend's election options may be a type of their own (bind them with <see cref="Bind{T}"/>).
    /// </summary>
    protected virtual LeaderElectionProvider? CreateElection(IConfigurationSection settings, TimeProvider time, ILoggerFactory loggers) => null;

    private static TOptions Bind(IConfigurationSection settings, TimeProvider time) => Bind<TOptions>(settings, time);

    /// <summary>Binds the section onto <typeparamref name="T"/>, refusing keys it does not have, and sets its clock.</summary>
    protected static T Bind<T>(IConfigurationSection settings, TimeProvider time)
        where T : LockOptions, new()
    {
        var options = StrictConfiguration.Bind(settings, new T(), "Type");
        options.TimeProvider = time;
        return options;
    }
}
