using Coord.Testing;
using Npgsql;

namespace Coord.Stress.Servers;

/// <summary>
/// The servers a run uses: the ones given in <see cref="StressEndpoints"/>, else throwaway ones started
/// on first use and shared by every scenario of the run, so Coord and its peers meet the same servers.
/// </summary>
public sealed class StressServers(StressEndpoints endpoints) : IAsyncDisposable
{
    public const string PostgresDatabase = "coord_stress";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IAsyncDisposable> _owned = [];
    private string? _redis;
    private IReadOnlyList<string>? _masters;
    private (string Locks, string Admin)? _postgres;
    private IReadOnlyList<string>? _etcd;
    private string? _zooKeeper;

    public StressEndpoints Endpoints { get; } = endpoints;

    /// <summary>The RedLock masters when this run started them (null when given), for the kill-a-master fault.</summary>
    public RedisMasters? OwnedMasters { get; private set; }

    /// <summary>What was started, for the report.</summary>
    public List<string> Started { get; } = [];

    public Task<string> RedisAsync(CancellationToken cancellationToken) => OnceAsync(
        () => _redis,
        async () =>
        {
            var server = await RedisServer.StartAsync("stress-redis", cancellationToken).ConfigureAwait(false);
            _owned.Add(server);
            Started.Add($"redis {server.Endpoint}");
            return server.ConnectionString;
        },
        v => _redis = v,
        Endpoints.Redis);

    public Task<IReadOnlyList<string>> RedisMastersAsync(CancellationToken cancellationToken) => OnceAsync(
        () => _masters,
        async () =>
        {
            var masters = await RedisMasters.StartAsync(3, cancellationToken).ConfigureAwait(false);
            _owned.Add(masters);
            OwnedMasters = masters;
            Started.Add("redis masters " + string.Join(", ", masters.Nodes.Select(n => n.Endpoint)));
            return masters.ConnectionStrings;
        },
        v => _masters = v,
        Endpoints.RedisMasters);

    /// <summary>Connection string of the lock database, and of another database on the same server for reading statistics.</summary>
    public async Task<(string Locks, string Admin)> PostgresAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_postgres is { } known)
                return known;
            if (Endpoints.Postgres is { } given)
            {
                var admin = new NpgsqlConnectionStringBuilder(given) { Database = "postgres", Pooling = false }.ConnectionString;
                return (_postgres = (given, admin)).Value;
            }
            var server = await PostgresServer.StartAsync("stress-postgres", cancellationToken).ConfigureAwait(false);
            _owned.Add(server);
            Started.Add($"postgres {server.Endpoint}");
            var locks = await server.CreateDatabaseAsync(PostgresDatabase, cancellationToken).ConfigureAwait(false);
            // Enough pooled connections for 32 clients of each library plus their listeners.
            locks = new NpgsqlConnectionStringBuilder(locks) { MaxPoolSize = 200 }.ConnectionString;
            var adminString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString;
            return (_postgres = (locks, adminString)).Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<IReadOnlyList<string>> EtcdAsync(CancellationToken cancellationToken) => OnceAsync(
        () => _etcd,
        async () =>
        {
            var node = await EtcdNode.StartAsync("stress-etcd", cancellationToken).ConfigureAwait(false);
            _owned.Add(node);
            var steady = await EtcdWarmUp.RunAsync(node.ClientUrl, cancellationToken).ConfigureAwait(false);
            Started.Add($"etcd {node.ClientUrl} (fsync on, etcd defaults but heartbeat 50 ms, election 500 ms; warmed up to {steady:0} put+delete/s)");
            return (IReadOnlyList<string>)[node.ClientUrl];
        },
        v => _etcd = v,
        Endpoints.Etcd);

    public Task<string> ZooKeeperAsync(CancellationToken cancellationToken) => OnceAsync(
        () => _zooKeeper,
        async () =>
        {
            var node = await ZooKeeperNode.StartAsync("stress-zookeeper", cancellationToken).ConfigureAwait(false);
            _owned.Add(node);
            var steady = await ZooKeeperWarmUp.RunAsync(node.ConnectString, cancellationToken).ConfigureAwait(false);
            Started.Add($"zookeeper {node.ConnectString} (forceSync=no, tickTime 500 ms, maxClientCnxns 60; warmed up to {steady:0} acquire+release/s)");
            return node.ConnectString;
        },
        v => _zooKeeper = v,
        Endpoints.ZooKeeper);

    /// <summary>The servers in use so far, for worker processes that must use the very same ones.</summary>
    public StressEndpoints Resolved() => new()
    {
        Redis = _redis,
        RedisMasters = _masters,
        Postgres = _postgres?.Locks,
        Etcd = _etcd,
        ZooKeeper = _zooKeeper,
    };

    /// <summary>A throwaway 3-member etcd cluster for the kill-the-leader fault, started on first use.</summary>
    public EtcdCluster? OwnedEtcdCluster { get; private set; }

    /// <summary>A throwaway 3-member ZooKeeper ensemble for the kill-the-leader fault, started on first use.</summary>
    public ZooKeeperEnsemble? OwnedZooKeeperEnsemble { get; private set; }

    public async Task<EtcdCluster> EtcdClusterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (OwnedEtcdCluster is null)
            {
                OwnedEtcdCluster = await EtcdCluster.StartAsync(3, cancellationToken).ConfigureAwait(false);
                _owned.Add(OwnedEtcdCluster);
                Started.Add("etcd cluster " + OwnedEtcdCluster.ClientEndpoints);
            }
            return OwnedEtcdCluster;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<ZooKeeperEnsemble> ZooKeeperEnsembleAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (OwnedZooKeeperEnsemble is null)
            {
                OwnedZooKeeperEnsemble = await ZooKeeperEnsemble.StartAsync(3, cancellationToken).ConfigureAwait(false);
                _owned.Add(OwnedZooKeeperEnsemble);
                Started.Add("zookeeper ensemble " + OwnedZooKeeperEnsemble.ConnectString);
            }
            return OwnedZooKeeperEnsemble;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> OnceAsync<T>(Func<T?> read, Func<Task<T>> start, Action<T> store, T? given) where T : class
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (read() is { } known)
                return known;
            var value = given ?? await start().ConfigureAwait(false);
            store(value);
            return value;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        _owned.Clear();
        _gate.Dispose();
    }
}
