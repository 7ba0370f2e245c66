using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Semaphores on one Redis server (or a primary with replicas): at most <c>maxCount</c> permits of a name
/// at once, handed out first come, first served. Each operation is one Lua script over the name's holders
/// (a sorted set by lease expiry), its line of waiters and its fence counter; a freed permit goes straight
/// to the first live waiter, with one message to that waiter's process alone (none when it waits in the
/// releasing process), on the wake channel the process's Redis locks use too.
/// </summary>
/// <remarks>
/// Key layout and scripts: see <see cref="RedisSemaphoreKeys"/> and <see cref="RedisSemaphoreScripts"/>.
/// Fencing tokens are safe as long as the counter key survives, as for <see cref="RedisLock"/> (persistence
/// and <c>maxmemory-policy noeviction</c>).
/// </remarks>
public sealed class RedisSemaphore : SemaphoreProvider
{
    private readonly RedisLockOptions _options;
    private readonly RedisConnection _server;
    private RedisSemaphoreKeys? _lastKeys;

    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings, as for <see cref="RedisLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisSemaphore(RedisLockOptions options, ILogger<RedisSemaphore>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _server = new RedisConnection(options.Configuration, options.Connection, options.Database, options.ConnectTimeout, options.KeyPrefix, Metrics, Logger);
    }

    /// <inheritdoc/>
    public override string Backend => "redis";

    /// <inheritdoc/>
    public override string Endpoint => _server.Endpoint;

    // Every command times out in the client library (AsyncTimeout), and waiters stop at their wait.
    /// <inheritdoc/>
    protected override bool BoundsEveryCall => true;

    /// <inheritdoc/>
    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var attempt = new RedisSemaphoreAttempt(request, db, _server, KeysOf(request.Name), _options.WaiterLease, _options.ClockDriftFactor, this, Time);
        return await attempt.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        Metrics.Request("renew");
        var result = await RedisSemaphoreScripts.Renew.EvaluateAsync(db, KeysOf(name).All, [holderToken, (long)Math.Ceiling(ttl.TotalMilliseconds)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseAsync(db, _server.WakeUps, KeysOf(name), holderToken, Metrics, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases a permit (or leaves the line) by token, and hands freed permits over in process to waiters of this process.</summary>
    internal static async Task<bool> ReleaseAsync(IDatabase db, RedisWakeChannel wakeUps, RedisSemaphoreKeys keys, string token, LockMetrics metrics, CancellationToken cancellationToken)
    {
        metrics.Request("release");
        var reply = (RedisResult[])(await RedisSemaphoreScripts.Release.EvaluateAsync(db, keys.All, [token, wakeUps.Name])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        HandOverInProcess(wakeUps, reply);
        return (long)reply[0] == 1;
    }

    /// <summary>Delivers the hand-offs a script gave to waiters of this process (token, fence pairs after the first four fields), which no message told.</summary>
    internal static void HandOverInProcess(RedisWakeChannel wakeUps, RedisResult[] reply)
    {
        for (var i = 4; i + 1 < reply.Length; i += 2)
            RedisLock.HandOverInProcess(wakeUps, reply[2], reply[3], reply[i], reply[i + 1]);
    }

    private RedisSemaphoreKeys KeysOf(string name)
    {
        if (Volatile.Read(ref _lastKeys) is { } last && last.Name == name)
            return last;
        var keys = new RedisSemaphoreKeys(_options.KeyPrefix, name);
        Volatile.Write(ref _lastKeys, keys);
        return keys;
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _server.DisposeAsync();
}
