using Microsoft.Extensions.Logging;

namespace Coord.Locks.InMemory;

/// <summary>
/// Reader-writer locks inside one process, for the service's zero-setup dev mode and examples. Same contract as
/// the distributed backends (leases, holder tokens, fencing on every grant, one FIFO line for readers and
/// writers). Holds live beside the locks and semaphores of <see cref="InMemoryLockOptions.Store"/>: providers
/// given the same store share reader-writer locks; a reader-writer lock, a lock and a semaphore of the same
/// name are unrelated.
/// </summary>
public sealed class InMemoryReaderWriterLock : ReaderWriterLockProvider
{
    /// <summary>Creates an in-process reader-writer lock provider over <see cref="InMemoryLockOptions.Store"/>.</summary>
    /// <param name="options">Settings; null uses the defaults and the process-wide store of the system clock.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public InMemoryReaderWriterLock(InMemoryLockOptions? options = null, ILogger<InMemoryReaderWriterLock>? logger = null)
        : base(options ??= new InMemoryLockOptions(), logger, InMemoryHolds.Backend, s => new InMemoryHolds(InMemorySemaphoreState.ReaderWritersOf(options.Store), s.Metrics))
    {
    }
}
