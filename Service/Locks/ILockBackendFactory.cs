using Coord.Locks;

namespace Coord.Service.Locks;

/// <summary>
/// Makes one kind of lock backend from its configuration section. Adding a backend to the service is
/// one small class implementing this (usually via <see cref="LockBackendFactory{TOptions}"/>) plus one
/// line in <see cref="LockBackendFactories.All"/>.
/// </summary>
public interface ILockBackendFactory
{
    /// <summary>The <c>Type</c> value that selects this factory, e.g. <c>redis</c>.</summary>
    string Type { get; }

    /// <summary>
    /// Creates the provider. Must not connect: providers connect on first use, so the service starts
    /// (and /readyz reports the problem) while a backend is down.
    /// </summary>
    ILockLeases Create(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time);

    /// <summary>
    /// Creates the backend's semaphore provider from the same settings, or null when this backend's semaphores
    /// cannot serve bare leases over REST yet. Must not connect, as <see cref="Create"/>.
    /// </summary>
    SemaphoreProvider? CreateSemaphore(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time) => null;

    /// <summary>
    /// Creates the backend's leader-election provider from the same settings, or null when this backend has none the
    /// service can serve over REST (its routes then answer 501 not_supported). Must not connect, as <see cref="Create"/>.
    /// </summary>
    LeaderElectionProvider? CreateElection(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time) => null;
}
