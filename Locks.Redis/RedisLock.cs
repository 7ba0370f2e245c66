using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Locks on one Redis server (or a primary with replicas). Acquire is one Lua script: <c>SET NX PX</c>
/// plus <c>INCR</c> of a per-name fence counter. Waiters queue in arrival order; a release hands the
/// lock straight to the first live waiter and publishes one message to that waiter's process alone
/// (none when the waiter is in the releasing process), so a hand-off costs at most a single notification
/// and a releaser that asks again at once goes to the back of the queue. While the first waiter is in
/// another process, a release may hand the lock to the first waiter of its own process instead, at most
/// <see cref="Internal.LocalPassPolicy.MaxPassesInARow"/> times in a row (no message, no other process
/// woken); see <see cref="RedisWakeChannel"/>.
/// </summary>
/// <remarks>
/// Key layout: see <see cref="RedisLockKeys"/>. Fencing tokens are safe only as long as the fence keys
/// survive: with persistence off a Redis restart, and with a <c>maxmemory-policy</c> other than
/// <c>noeviction</c> an eviction, starts them again from 1 (the provider warns about the policy at connect).
/// </remarks>
public sealed class RedisLock : LockProvider
{
    /// <summary>Length of a holder token, the first part of every wake-up message.</summary>
    internal const int TokenLength = 32;

    private readonly RedisLockOptions _options;
    private readonly RedisConnection _server;
    private RedisLockKeys? _lastKeys;

    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisLock(RedisLockOptions options, ILogger<RedisLock>? logger = null)
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
        var attempt = new RedisAttempt(request, db, _server, KeysOf(request.Name), _options.WaiterLease, _options.ClockDriftFactor, Metrics, Time);
        return await attempt.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(name);
        Metrics.Request("renew");
        var result = await RedisLockScripts.Renew.EvaluateAsync(db, [keys.Lock], [holderToken, (long)Math.Ceiling(ttl.TotalMilliseconds)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseAsync(db, _server.WakeUps, KeysOf(name), holderToken, Metrics, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases (or leaves the queue) by token, and hands over in process when the next holder waits in this provider.</summary>
    internal static async Task<bool> ReleaseAsync(IDatabase db, RedisWakeChannel wakeUps, RedisLockKeys keys, string token, LockMetrics metrics, CancellationToken cancellationToken)
    {
        metrics.Request("release");
        var result = await RedisLockScripts.Release.EvaluateAsync(db, keys.All, [token, wakeUps.Name, wakeUps.FirstWaiter(keys.Lock, token)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.Resp2Type == ResultType.Integer)
            return (long)result == 1;
        var reply = (RedisResult[])result!;
        HandOverInProcess(wakeUps, reply[0], reply[1], reply[2], reply[3]);
        return true;
    }

    /// <summary>Delivers a hand-off that a script gave to a waiter of this same process, where no message was sent.</summary>
    internal static void HandOverInProcess(RedisWakeChannel wakeUps, RedisResult seconds, RedisResult micros, RedisResult token, RedisResult fence)
    {
        var localToken = (string?)token;
        if (!string.IsNullOrEmpty(localToken))
            wakeUps.Deliver($"{localToken}:{(long)fence}:{(long)seconds}:{(long)micros}");
    }

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(name);
        Metrics.Request("status");
        var batch = db.CreateBatch();
        var ttl = batch.KeyTimeToLiveAsync(keys.Lock);
        var fence = batch.StringGetAsync(keys.Fence);
        batch.Execute();
        await Task.WhenAll(ttl, fence).WaitAsync(cancellationToken).ConfigureAwait(false);
        var expiresIn = await ttl.ConfigureAwait(false);
        var lastFence = await fence.ConfigureAwait(false);
        return new LockStatus(name, expiresIn is not null, expiresIn, lastFence.IsNull ? null : (long)lastFence);
    }

    /// <summary>The keys of <paramref name="name"/>; a client that takes the same lock again and again builds them once.</summary>
    private RedisLockKeys KeysOf(string name)
    {
        if (Volatile.Read(ref _lastKeys) is { } last && last.Name == name)
            return last;
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Volatile.Write(ref _lastKeys, keys);
        return keys;
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _server.DisposeAsync();
}
