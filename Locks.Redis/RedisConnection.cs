using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One Redis server as a lock provider uses it: a multiplexer made on first use (or a shared one
/// given by the caller) and the provider's wake-up channel on it. Commands to a server that is down fail
/// at once instead of queueing, so a dead master costs a quick error, not a wait.
/// </summary>
internal sealed class RedisConnection(string? configuration, IConnectionMultiplexer? shared, int database, TimeSpan connectTimeout, string wakeChannel, LockMetrics metrics, ILogger logger)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _ownsConnection = shared is null;
    private IConnectionMultiplexer? _connection = shared;
    private IDatabase? _database;
    private string? _endpoint;

    public string Endpoint => _endpoint ??= _connection is not null
        ? string.Join(",", _connection.GetEndPoints().Select(e => e.ToString()))
        : string.Join(",", ConfigurationOptions.Parse(configuration!).EndPoints.Select(e => e.ToString()));

    /// <summary>This provider's channel on this server; waiters' queue entries name it.</summary>
    public RedisWakeChannel WakeUps { get; } = new(wakeChannel, metrics);

    public async ValueTask<IDatabase> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_database is { } ready)
            return ready;

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_database is { } raced)
                return raced;
            if (_connection is null)
            {
                var config = ConfigurationOptions.Parse(configuration!);
                config.AbortOnConnectFail = false;
                config.BacklogPolicy = BacklogPolicy.FailFast;
                config.ConnectTimeout = (int)connectTimeout.TotalMilliseconds;
                config.AsyncTimeout = (int)connectTimeout.TotalMilliseconds;
                config.SyncTimeout = (int)connectTimeout.TotalMilliseconds;
                config.ClientName ??= "coord-lock";
                metrics.Request("connect");
                _connection = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            var db = _connection.GetDatabase(database);
            await WarnIfKeysCanBeEvictedAsync(db, cancellationToken).ConfigureAwait(false);
            return _database = db;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Subscribes this provider's channel on first use, so hand-offs can reach its waiters.</summary>
    public async Task EnsureSubscribedAsync(CancellationToken cancellationToken)
    {
        if (WakeUps.IsSubscribed)
            return;
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await WakeUps.EnsureSubscribedAsync(_connection!.GetSubscriber(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An evicted lock key frees a held lock early, and an evicted fence key starts fencing tokens again
    /// from 1, so a server that may evict keys under memory pressure breaks both promises. (Read through
    /// a script, because the client library allows INFO only on admin connections.)
    /// </summary>
    private async Task WarnIfKeysCanBeEvictedAsync(IDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            metrics.Request("info");
            var policy = (string?)await db.ScriptEvaluateAsync(EvictionPolicyScript).WaitAsync(connectTimeout, cancellationToken).ConfigureAwait(false);
            if (policy is not null && policy != "noeviction")
            {
                logger.LogWarning(
                    "Redis at {Endpoint} has maxmemory-policy {Policy}: under memory pressure it may evict lock keys (freeing a held lock early) and fence keys (so fencing tokens start again from 1). Set maxmemory-policy noeviction on servers that hold Coord locks.",
                    Endpoint, policy);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The check is advice; a server that hides INFO still serves locks.
            logger.LogDebug(ex, "Could not read maxmemory-policy from Redis at {Endpoint}", Endpoint);
        }
    }

    private const string EvictionPolicyScript = "return string.match(redis.call('INFO', 'memory'), 'maxmemory_policy:(%S+)')";

    public async ValueTask DisposeAsync()
    {
        await WakeUps.UnsubscribeAsync().ConfigureAwait(false);
        if (_ownsConnection && _connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
