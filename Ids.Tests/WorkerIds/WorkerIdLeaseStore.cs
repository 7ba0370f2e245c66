using Coord.Ids.WorkerIds;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>
/// One real server holding worker-id leases for a whole test class, with what the shared suite
/// (<see cref="WorkerIdLeaseTests{TStore}"/>) needs from it: leasers, a way to cut the server off,
/// and direct reads and writes that bypass the leaser.
/// </summary>
public abstract class WorkerIdLeaseStore : IAsyncLifetime
{
    private int _pools;

    /// <summary>The backend name the helper process takes (<c>worker-lease &lt;backend&gt; …</c>).</summary>
    public abstract string Backend { get; }

    /// <summary>What a leaser of this backend connects to: a connection string, URL or host:port.</summary>
    public abstract string Endpoint { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>A pool no other test uses.</summary>
    public string NewPool() => $"p{Interlocked.Increment(ref _pools)}";

    public IWorkerIdLeaser NewLeaser(string pool, TimeSpan lease, TimeProvider? time = null) => Create(Backend, Endpoint, pool, lease, time);

    /// <summary>Makes the server answer nothing (SIGSTOP) until the result is disposed; its clocks keep running.</summary>
    public abstract IDisposable CutOff();

    /// <summary>The timestamp the store keeps for <paramref name="workerId"/>, read directly; null if none.</summary>
    public abstract Task<long?> StoredLastAsync(string pool, int workerId);

    /// <summary>Makes the store give <paramref name="workerId"/>'s lease to nobody in particular, behind the holder's back.</summary>
    public abstract Task TakeAwayAsync(string pool, int workerId);

    /// <summary>
    /// A leaser of <paramref name="backend"/> with a lease of <paramref name="lease"/>; each request is
    /// bounded by a third of it, so a stalled reply cannot eat the whole lease.
    /// </summary>
    public static IWorkerIdLeaser Create(string backend, string endpoint, string pool, TimeSpan lease, TimeProvider? time = null)
    {
        var commandTimeout = lease / 3;
        return backend switch
        {
            "postgres" => new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions
            {
                ConnectionString = endpoint, Pool = pool, LeaseDuration = lease,
                CommandTimeout = commandTimeout < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : commandTimeout,
            }, time),
            "redis" => new RedisWorkerIdLeaser(new RedisWorkerIdOptions { Configuration = endpoint, Pool = pool, LeaseDuration = lease, CommandTimeout = commandTimeout }, time),
            "etcd" => new EtcdWorkerIdLeaser(new EtcdWorkerIdOptions { Endpoints = [endpoint], Pool = pool, LeaseDuration = lease, CommandTimeout = commandTimeout }, time),
            "zookeeper" => new ZooKeeperWorkerIdLeaser(new ZooKeeperWorkerIdOptions { ConnectString = endpoint, Pool = pool, LeaseDuration = lease, CommandTimeout = commandTimeout }, time),
            _ => throw new ArgumentException($"Unknown worker-id lease backend '{backend}'.", nameof(backend)),
        };
    }
}
