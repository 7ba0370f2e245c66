using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>
/// Semaphores inside one process, for the service's zero-setup dev mode and examples. Same contract as the
/// distributed backends (leases, holder tokens, fencing, FIFO hand-off, one max count per name in use).
/// Permits live beside the locks of <see cref="InMemoryLockOptions.Store"/>: providers given the same store
/// share semaphores, as they share locks; a semaphore and a lock of the same name are unrelated.
/// </summary>
public sealed class InMemorySemaphore : SemaphoreProvider
{
    /// <summary>Creates an in-process semaphore provider over <see cref="InMemoryLockOptions.Store"/>.</summary>
    /// <param name="options">Settings; null uses the defaults and the process-wide store of the system clock.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public InMemorySemaphore(InMemoryLockOptions? options = null, ILogger<InMemorySemaphore>? logger = null)
        : base(options ??= new InMemoryLockOptions(), logger, InMemoryHolds.Backend, s => new InMemoryHolds(InMemorySemaphoreState.Of(options.Store), s.Metrics))
    {
    }
}
