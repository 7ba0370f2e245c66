namespace Coord.Stress.Targets.ReaderWriter;

/// <summary>One client of a reader-writer lock implementation (its own connection or session).</summary>
public interface IReaderWriterClient : IAsyncDisposable
{
    /// <summary>Waits up to <paramref name="wait"/> for a write (exclusive) or read (shared) hold; null when not had in time.</summary>
    Task<IHeldLock?> AcquireAsync(string name, bool write, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken);
}
