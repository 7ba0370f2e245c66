using Coord.Locks;
using Coord.Locks.InMemory;

namespace Coord.Service.Locks.Backends;

/// <summary><c>Type: inmemory</c> — locks inside this one process, for dev mode and examples.</summary>
public sealed class InMemoryBackendFactory : LockBackendFactory<InMemoryLockOptions>
{
    public override string Type => "inmemory";

    // Each configured in-memory backend gets its own store, so two of them do not exclude each other by accident.
    protected override ILockLeases Create(InMemoryLockOptions options, ILoggerFactory loggers)
    {
        options.Store = new InMemoryLockStore(options.TimeProvider);
        return new InMemoryLock(options, loggers.CreateLogger<InMemoryLock>());
    }

    protected override SemaphoreProvider CreateSemaphore(InMemoryLockOptions options, ILoggerFactory loggers)
    {
        options.Store = new InMemoryLockStore(options.TimeProvider);
        return new InMemorySemaphore(options, loggers.CreateLogger<InMemorySemaphore>());
    }

    protected override LeaderElectionProvider CreateElection(IConfigurationSection settings, TimeProvider time, ILoggerFactory loggers)
    {
        var options = Bind<InMemoryLockOptions>(settings, time);
        options.Store = new InMemoryLockStore(options.TimeProvider);
        return new InMemoryLeaderElection(options, loggers.CreateLogger<InMemoryLeaderElection>());
    }
}
