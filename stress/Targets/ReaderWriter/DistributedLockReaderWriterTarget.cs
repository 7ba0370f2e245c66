using Medallion.Threading;

namespace Coord.Stress.Targets.ReaderWriter;

/// <summary>
/// Peer: a DistributedLock reader-writer lock (<c>RedisDistributedReaderWriterLock</c> or
/// <c>PostgresDistributedReaderWriterLock</c>), one <see cref="IDistributedReaderWriterLock"/> per acquire over the
/// client's own connection, made by the client that <paramref name="createClient"/> returns. No fencing tokens.
/// </summary>
public sealed class DistributedLockReaderWriterTarget(string name, string library, Func<CancellationToken, Task<DistributedLockReaderWriterTarget.Connection>> createClient)
    : PrimitiveTarget<IReaderWriterClient>(name, library, isPeer: true)
{
    /// <summary>What one client owns: a factory of locks by name and what to dispose with the client (its connection), if anything.</summary>
    public sealed record Connection(Func<string, TimeSpan, IDistributedReaderWriterLock> LockOf, IAsyncDisposable? Owned);

    public override async Task<IReaderWriterClient> CreateClientAsync(CancellationToken cancellationToken)
        => new Client(await createClient(cancellationToken).ConfigureAwait(false));

    private sealed class Client(Connection connection) : IReaderWriterClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, bool write, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var @lock = connection.LockOf(name, ttl);
            var handle = write
                ? await @lock.TryAcquireWriteLockAsync(wait, cancellationToken).ConfigureAwait(false)
                : await @lock.TryAcquireReadLockAsync(wait, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new Held(handle);
        }

        public ValueTask DisposeAsync() => connection.Owned?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private sealed class Held(IDistributedSynchronizationHandle handle) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => handle.HandleLostToken.IsCancellationRequested;
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
