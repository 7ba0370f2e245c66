using Coord.Stress.Servers;
using Medallion.Threading.Postgres;

namespace Coord.Stress.Targets;

/// <summary>
/// Peer: DistributedLock.Postgres (<see cref="PostgresDistributedLock"/>, a session advisory lock held on
/// a pooled connection). The server queues waiters itself; there is no TTL, a hold lasts as long as its connection.
/// </summary>
public sealed class DistributedLockPostgresTarget(StressPostgres postgres, string keyPrefix)
    : LockTarget("dlock-postgres", "DistributedLock.Postgres", isPeer: true, postgres.Counters())
{
    public override bool SupportsFencing => false;

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<ILockClient>(new Client(postgres.ConnectionString, keyPrefix));

    private sealed class Client(string connectionString, string keyPrefix) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var @lock = new PostgresDistributedLock(new PostgresAdvisoryLockKey(keyPrefix + name, allowHashing: true), connectionString);
            var handle = await @lock.TryAcquireAsync(wait, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new Held(handle);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Held(PostgresDistributedLockHandle handle) : IHeldLock
    {
        public long? FencingToken => null;
        public bool IsLost => handle.HandleLostToken.IsCancellationRequested;
        public ValueTask ReleaseAsync() => handle.DisposeAsync();
    }
}
