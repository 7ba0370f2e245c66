using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One Redis server as a lock provider uses it: a multiplexer made on first use (or a shared one
/// given by the caller) and the hand-off subscriptions on it. Commands to a server that is down fail
/// at once instead of queueing, so a dead master costs a quick error, not a wait.
/// </summary>
internal sealed class RedisConnection(string? configuration, IConnectionMultiplexer? shared, int database, TimeSpan connectTimeout, LockMetrics metrics, TimeProvider time)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _ownsConnection = shared is null;
    private IConnectionMultiplexer? _connection = shared;
    private RedisWakeUps? _wakeUps;

    public string Endpoint => _endpoint ??= _connection is not null
        ? string.Join(",", _connection.GetEndPoints().Select(e => e.ToString()))
        : string.Join(",", ConfigurationOptions.Parse(configuration!).EndPoints.Select(e => e.ToString()));

    private string? _endpoint;

    public async ValueTask<(IDatabase Db, RedisWakeUps WakeUps)> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } existing && _wakeUps is { } ready)
            return (existing.GetDatabase(database), ready);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
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
            _wakeUps ??= new RedisWakeUps(_connection.GetSubscriber(), metrics, time);
            return (_connection.GetDatabase(database), _wakeUps);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_wakeUps is not null)
            await _wakeUps.DisposeAsync().ConfigureAwait(false);
        if (_ownsConnection && _connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
