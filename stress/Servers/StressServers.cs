namespace Coord.Stress.Servers;

/// <summary>
/// The servers a run uses, one <see cref="IStressServer"/> per backend (<see cref="StressRedis"/>,
/// <see cref="StressRedLockMasters"/>, <see cref="StressPostgres"/>, <see cref="StressEtcd"/>,
/// <see cref="StressZooKeeper"/>): the ones given in <see cref="StressEndpoints"/>, else throwaway ones started on
/// first use and shared by every scenario of the run, so Coord and its peers meet the same servers.
/// </summary>
public sealed class StressServers(StressEndpoints endpoints) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IStressServer> _owned = [];
    private StressRedis? _redis;
    private StressRedLockMasters? _masters;
    private StressPostgres? _postgres;
    private StressEtcd? _etcd;
    private StressEtcd? _etcdCluster;
    private StressZooKeeper? _zooKeeper;
    private StressZooKeeper? _zooKeeperEnsemble;

    public StressEndpoints Endpoints { get; } = endpoints;

    /// <summary>What was started, for the report.</summary>
    public List<string> Started { get; } = [];

    public Task<StressRedis> RedisServerAsync(CancellationToken cancellationToken)
        => OnceAsync(() => _redis, v => _redis = v, ct => StressRedis.StartAsync(Endpoints.Redis, ct), cancellationToken);

    /// <summary>The configuration string of <see cref="RedisServerAsync"/>, for code that needs nothing else.</summary>
    public async Task<string> RedisAsync(CancellationToken cancellationToken) => (await RedisServerAsync(cancellationToken).ConfigureAwait(false)).Configuration;

    public Task<StressRedLockMasters> RedLockMastersAsync(CancellationToken cancellationToken)
        => OnceAsync(() => _masters, v => _masters = v, ct => StressRedLockMasters.StartAsync(Endpoints.RedisMasters, ct), cancellationToken);

    public Task<StressPostgres> PostgresAsync(CancellationToken cancellationToken)
        => OnceAsync(() => _postgres, v => _postgres = v, ct => StressPostgres.StartAsync(Endpoints.Postgres, ct), cancellationToken);

    /// <param name="clustered">The run's throwaway 3-member cluster (for the kill-the-leader fault) instead of its one node.</param>
    public Task<StressEtcd> EtcdAsync(bool clustered, CancellationToken cancellationToken) => clustered
        ? OnceAsync(() => _etcdCluster, v => _etcdCluster = v, StressEtcd.StartClusterAsync, cancellationToken)
        : OnceAsync(() => _etcd, v => _etcd = v, ct => StressEtcd.StartAsync(Endpoints.Etcd, ct), cancellationToken);

    public Task<StressEtcd> EtcdAsync(CancellationToken cancellationToken) => EtcdAsync(clustered: false, cancellationToken);

    /// <param name="clustered">The run's throwaway 3-member ensemble (for the kill-the-leader fault) instead of its one node.</param>
    public Task<StressZooKeeper> ZooKeeperAsync(bool clustered, CancellationToken cancellationToken) => clustered
        ? OnceAsync(() => _zooKeeperEnsemble, v => _zooKeeperEnsemble = v, StressZooKeeper.StartEnsembleAsync, cancellationToken)
        : OnceAsync(() => _zooKeeper, v => _zooKeeper = v, ct => StressZooKeeper.StartAsync(Endpoints.ZooKeeper, ct), cancellationToken);

    public Task<StressZooKeeper> ZooKeeperAsync(CancellationToken cancellationToken) => ZooKeeperAsync(clustered: false, cancellationToken);

    /// <summary>The RedLock masters when this run started them (null when given or not used), for the kill-a-master fault.</summary>
    public Coord.Testing.RedisMasters? OwnedMasters => _masters?.Owned;

    /// <summary>The run's 3-member etcd cluster once a target used it, for the kill-the-leader fault.</summary>
    public Coord.Testing.EtcdCluster? OwnedEtcdCluster => _etcdCluster?.Cluster;

    /// <summary>The run's 3-member ZooKeeper ensemble once a target used it, for the kill-the-leader fault.</summary>
    public Coord.Testing.ZooKeeperEnsemble? OwnedZooKeeperEnsemble => _zooKeeperEnsemble?.Ensemble;

    /// <summary>The servers in use so far, for worker processes that must use the very same ones.</summary>
    public StressEndpoints Resolved() => new()
    {
        Redis = _redis?.Configuration,
        RedisMasters = _masters?.Masters,
        Postgres = _postgres?.ConnectionString,
        Etcd = _etcd?.Endpoints,
        ZooKeeper = _zooKeeper?.ConnectString,
    };

    private async Task<T> OnceAsync<T>(Func<T?> read, Action<T> store, Func<CancellationToken, Task<T>> start, CancellationToken cancellationToken)
        where T : class, IStressServer
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (read() is { } known)
                return known;
            var server = await start(cancellationToken).ConfigureAwait(false);
            _owned.Add(server);
            if (server.Started is { } started)
                Started.Add(started);
            store(server);
            return server;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs what must follow a server's start (a warm-up, a database to create); stops the server if that fails.</summary>
    internal static async Task<T> ThenAsync<T>(IAsyncDisposable started, Func<Task<T>> next)
    {
        try
        {
            return await next().ConfigureAwait(false);
        }
        catch
        {
            await started.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        _owned.Clear();
        _gate.Dispose();
    }
}
