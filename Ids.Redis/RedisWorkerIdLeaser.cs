using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// Leases Snowflake worker ids from Redis: <c>SET holder:&lt;id&gt; &lt;owner&gt; NX PX ttl</c> on the lowest
/// free id, in one script that also raises <c>last:&lt;id&gt;</c> (kept without expiry) to a reservation of
/// the owner's clock plus the lease duration. Expiry runs on the server's clock; the holder renews every
/// third of the lease and treats it as lost before the server could expire it. A clean release replaces
/// the reservation by the exact last timestamp issued.
/// </summary>
/// <remarks>
/// The stored timestamps last as long as Redis keeps its data: without persistence (RDB/AOF) a restart
/// of Redis forgets them, and the start-up check against a clock that went back is lost with them.
/// </remarks>
public sealed class RedisWorkerIdLeaser : IWorkerIdLeaser, IWorkerIdLeaseStore
{
    private const string AcquireScript = """
        local prefix, max, owner, ttl, reserve = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
        for id = 0, max do
            if redis.call('SET', prefix .. 'holder:' .. id, owner, 'NX', 'PX', ttl) then
                local lastKey = prefix .. 'last:' .. id
                local last = redis.call('GET', lastKey) or '0'
                if reserve > tonumber(last) then redis.call('SET', lastKey, ARGV[5]) end
                return {id, last}
            end
        end
        return false
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        if tonumber(ARGV[3]) > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], ARGV[3]) end
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;

    private readonly RedisWorkerIdOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _connection;

    /// <summary>Creates the leaser; it connects on first use.</summary>
    /// <param name="options">Server, key prefix, pool and lease timing; validated here.</param>
    /// <param name="timeProvider">Clock for lease timing and stored timestamps; null is the system clock.</param>
    /// <param name="logger">Where renewal failures are logged; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message says what is allowed.</exception>
    public RedisWorkerIdLeaser(RedisWorkerIdOptions options, TimeProvider? timeProvider = null, ILogger<RedisWorkerIdLeaser>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _prefix = $"{options.KeyPrefix}{options.Pool}:";
    }

    /// <inheritdoc/>
    public string Description => $"Redis {_options.Configuration} (keys {_prefix}*)";

    TimeSpan IWorkerIdLeaseStore.LeaseDuration => _options.LeaseDuration;
    TimeProvider IWorkerIdLeaseStore.Time => _time;
    ILogger IWorkerIdLeaseStore.Logger => _logger;

    /// <inheritdoc/>
    public async Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxWorkerId);
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var owner = Guid.NewGuid();
        var sent = _time.GetTimestamp();
        var reserve = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_options.LeaseDuration.TotalMilliseconds;
        var result = await db.ScriptEvaluateAsync(AcquireScript, values:
            [_prefix, maxWorkerId, owner.ToString("N"), (long)_options.LeaseDuration.TotalMilliseconds, reserve]).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsNull)
            throw new WorkerIdsExhaustedException(maxWorkerId + 1, _options.Pool, Description);
        var reply = (RedisResult[])result!;
        var workerId = (int)reply[0];
        var lastIssued = long.Parse((string)reply[1]!, CultureInfo.InvariantCulture);
        _logger.LogInformation("Leased Snowflake worker id {WorkerId} from {Store}; last stored timestamp {LastTimestampMs}.", workerId, Description, lastIssued);
        return new RenewingWorkerIdLease(this, workerId, owner, lastIssued, sent);
    }

    async Task<bool> IWorkerIdLeaseStore.RenewAsync(int workerId, Guid owner, long reserveUnixMs, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var renewed = await db.ScriptEvaluateAsync(RenewScript, Keys(workerId),
            [owner.ToString("N"), (long)_options.LeaseDuration.TotalMilliseconds, reserveUnixMs]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return (int)renewed == 1;
    }

    async Task IWorkerIdLeaseStore.ReleaseAsync(int workerId, Guid owner, long lastIssuedUnixMs, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        await db.ScriptEvaluateAsync(ReleaseScript, Keys(workerId), [owner.ToString("N"), lastIssuedUnixMs]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection. Leases already handed out stop renewing and expire after <see cref="RedisWorkerIdOptions.LeaseDuration"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
            await connection.DisposeAsync().ConfigureAwait(false);
        _connecting.Dispose();
    }

    private RedisKey[] Keys(int workerId)
        => [_prefix + "holder:" + workerId.ToString(CultureInfo.InvariantCulture), _prefix + "last:" + workerId.ToString(CultureInfo.InvariantCulture)];

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } ready)
            return ready.GetDatabase();
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is null)
            {
                var configuration = ConfigurationOptions.Parse(_options.Configuration);
                var timeout = (int)_options.CommandTimeout.TotalMilliseconds;
                configuration.ConnectTimeout = timeout;
                configuration.AsyncTimeout = timeout;
                configuration.SyncTimeout = timeout;
                configuration.AbortOnConnectFail = false;
                var connection = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(_options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _connection, connection);
            }
            return _connection!.GetDatabase();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Redis {_options.Configuration} did not answer within {_options.CommandTimeout.TotalSeconds:0.#} s while leasing a Snowflake worker id.", ex);
        }
        finally
        {
            _connecting.Release();
        }
    }
}
