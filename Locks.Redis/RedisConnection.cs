using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One Redis server as a lock provider uses it: a multiplexer made on first use (or a shared one
/// given by the caller) and the process's wake-up channel on that server. Commands to a server that is down fail
/// at once instead of queueing, so a dead master costs a quick error, not a wait.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly string? _configuration;
    private readonly int _database;
    private readonly TimeSpan _connectTimeout;
    private readonly LockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _ownsConnection;
    private IConnectionMultiplexer? _connection;
    private IDatabase? _db;
    private string? _endpoint;

    public RedisConnection(string? configuration, IConnectionMultiplexer? shared, int database, TimeSpan connectTimeout, string keyPrefix, LockMetrics metrics, ILogger logger)
    {
        _configuration = configuration;
        _connection = shared;
        _ownsConnection = shared is null;
        _database = database;
        _connectTimeout = connectTimeout;
        _metrics = metrics;
        _logger = logger;
        WakeUps = shared is not null
            ? RedisWakeChannel.Rent(shared, keyPrefix, _ => Task.FromResult(shared), ownsConnection: false)
            : RedisWakeChannel.Rent(configuration!, keyPrefix, async ct => await OpenAsync(configuration!, "coord-lock-wake", failFast: false, ct).ConfigureAwait(false), ownsConnection: true);
    }

    public string Endpoint => _endpoint ??= _connection is not null
        ? string.Join(",", _connection.GetEndPoints().Select(e => e.ToString()))
        : string.Join(",", ConfigurationOptions.Parse(_configuration!).EndPoints.Select(e => e.ToString()));

    /// <summary>This process's channel on this server; waiters' queue entries name it.</summary>
    public RedisWakeChannel WakeUps { get; }

    /// <summary>True once <see cref="ConnectAsync"/> has connected; later calls return at once.</summary>
    public bool IsConnected => _db is not null;

    public async ValueTask<IDatabase> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_db is { } ready)
            return ready;

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_db is { } raced)
                return raced;
            _connection ??= await OpenAsync(_configuration!, "coord-lock", failFast: true, cancellationToken).ConfigureAwait(false);
            var db = _connection.GetDatabase(_database);
            await WarnIfKeysCanBeEvictedAsync(db, cancellationToken).ConfigureAwait(false);
            return _db = db;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Opens a multiplexer. Lock commands fail fast while it is disconnected; the wake-up channel's own
    /// connection (<paramref name="failFast"/> false) lets its first SUBSCRIBE wait for the handshake
    /// instead, bounded by the same timeout, since it is opened at the moment a waiter needs it.
    /// </summary>
    private async Task<IConnectionMultiplexer> OpenAsync(string configuration, string clientName, bool failFast, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = failFast ? BacklogPolicy.FailFast : BacklogPolicy.Default;
        config.ConnectTimeout = (int)_connectTimeout.TotalMilliseconds;
        config.AsyncTimeout = (int)_connectTimeout.TotalMilliseconds;
        config.SyncTimeout = (int)_connectTimeout.TotalMilliseconds;
        config.ClientName ??= clientName;
        _metrics.Request("connect");
        return await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes the process's channel on first use, so hand-offs can reach its waiters.</summary>
    public Task EnsureSubscribedAsync(CancellationToken cancellationToken)
        => WakeUps.IsSubscribed ? Task.CompletedTask : WakeUps.EnsureSubscribedAsync(_metrics, cancellationToken);

    /// <summary>
    /// An evicted lock key frees a held lock early, and an evicted fence key starts fencing tokens again
    /// from 1, so a server that may evict keys under memory pressure breaks both promises. (Read through
    /// a script, because the client library allows INFO only on admin connections.)
    /// </summary>
    private async Task WarnIfKeysCanBeEvictedAsync(IDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            _metrics.Request("info");
            var policy = (string?)await db.ScriptEvaluateAsync(EvictionPolicyScript).WaitAsync(_connectTimeout, cancellationToken).ConfigureAwait(false);
            if (policy is not null && policy != "noeviction")
            {
                _logger.LogWarning(
                    "Redis at {Endpoint} has maxmemory-policy {Policy}: under memory pressure it may evict lock keys (freeing a held lock early) and fence keys (so fencing tokens start again from 1). Set maxmemory-policy noeviction on servers that hold Coord locks.",
                    Endpoint, policy);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The check is advice; a server that hides INFO still serves locks.
            _logger.LogDebug(ex, "Could not read maxmemory-policy from Redis at {Endpoint}", Endpoint);
        }
    }

    private const string EvictionPolicyScript = "return string.match(redis.call('INFO', 'memory'), 'maxmemory_policy:(%S+)')";

    public async ValueTask DisposeAsync()
    {
        await WakeUps.ReturnAsync().ConfigureAwait(false);
        if (_ownsConnection && _connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
