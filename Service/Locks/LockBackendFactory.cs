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

    /// <summary>Creates the provider from bound options; the options are validated by the provider.</summary>
    protected abstract ILockLeases Create(TOptions options, ILoggerFactory loggers);

    /// <summary>Creates the semaphore provider from bound options, or null when the backend has none the service can use.</summary>
    protected virtual SemaphoreProvider? CreateSemaphore(TOptions options, ILoggerFactory loggers) => null;

    private static TOptions Bind(IConfigurationSection settings, TimeProvider time)
    {
        var options = StrictConfiguration.Bind(settings, new TOptions(), "Type");
        options.TimeProvider = time;
        return options;
    }
}
