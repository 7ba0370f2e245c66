using Coord.Locks;

namespace Coord.Stress.Targets.ReaderWriter;

/// <summary>A Coord reader-writer lock backend: every client is its own provider (own connection or session), made by <paramref name="create"/>.</summary>
public sealed class CoordReaderWriterTarget(string name, Func<IReaderWriterLock> create)
    : PrimitiveTarget<IReaderWriterClient>(name, "Coord", isPeer: false)
{
    public override Task<IReaderWriterClient> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReaderWriterClient>(new Client(create()));

    private sealed class Client(IReaderWriterLock locks) : IReaderWriterClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, bool write, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var handle = write
                ? await locks.TryAcquireWriteLockAsync(name, wait, ttl, cancellationToken).ConfigureAwait(false)
                : await locks.TryAcquireReadLockAsync(name, wait, ttl, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new HandleHold(handle);
        }

        public ValueTask DisposeAsync() => locks.DisposeAsync();
    }
}
