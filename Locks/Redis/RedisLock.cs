using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Locks on one Redis server (or a primary with replicas). Acquire is one Lua script: <c>SET NX PX</c>
/// plus <c>INCR</c> of a per-name fence counter. Waiters queue in arrival order; a release hands the
/// lock straight to the first live waiter and publishes one message naming it, so a hand-off costs a
/// single notification and a releaser that asks again at once goes to the back of the queue.
/// </summary>
/// <remarks>
/// Key layout: see <see cref="RedisLockKeys"/>. Fencing tokens are safe as long as the fence keys
/// survive: with persistence off, a Redis restart starts them again from 1.
/// </remarks>
public sealed class RedisLock : LockProvider
{
    private readonly RedisLockOptions _options;
    private readonly RedisConnection _server;

    public RedisLock(RedisLockOptions options, ILogger<RedisLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _server = new RedisConnection(options.Configuration, options.Connection, options.Database, options.ConnectTimeout, Metrics, Time);
    }

    public override string Backend => "redis";
    public override string Endpoint => _server.Endpoint;

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var (db, wakeUps) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new RedisLockKeys(_options.KeyPrefix, request.Name);
        var ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
        var placeLease = _options.WaiterLease;
        var refresh = Min(placeLease / 3, request.Ttl / 3);
        var willWait = !request.WaitExpired && request.RemainingWait != TimeSpan.Zero;

        // Uncontended path: one round trip, no subscription.
        if (!willWait || !wakeUps.IsSubscribed(keys.WakeChannel))
        {
            var sent = Time.GetTimestamp();
            var first = await TryAsync(db, keys, request.HolderToken, ttlMs, placeLease, enqueue: false).ConfigureAwait(false);
            if (first.Held)
                return new LockGrant(first.Fence, sent);
            if (!willWait)
                return null;
        }

        request.BackendState = QueuedMarker;
        var waiter = new RedisWaiter(request.HolderToken);
        await using var membership = await wakeUps.JoinAsync(keys.WakeChannel, waiter, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            // The last attempt that found the lock not ours was processed before any hand-off to us,
            // so its send time is a safe start for the lease the hand-off began.
            var sent = Time.GetTimestamp();
            var attempt = await TryAsync(db, keys, request.HolderToken, ttlMs, placeLease, enqueue: true).ConfigureAwait(false);
            if (attempt.Held)
                return new LockGrant(attempt.Fence, sent);

            var retryIn = Min(attempt.RetryIn, refresh);
            while (true)
            {
                if (request.WaitExpired)
                    return null; // the caller's abandon step takes our place out of the queue
                await waiter.Signal.WaitAsync(request.NextWakeUp(retryIn), Time, cancellationToken).ConfigureAwait(false);
                if (waiter.HandedOffFence is { } fence)
                    return new LockGrant(fence, sent);
                if (Time.GetElapsedTime(sent) >= retryIn || request.WaitExpired)
                    break;
            }
        }
    }

    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        // Only a waiter that queued (and so may have been handed the lock) has anything to undo.
        if (!ReferenceEquals(request.BackendState, QueuedMarker))
            return;
        await ReleaseCoreAsync(request.Name, request.HolderToken, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var (db, _) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("renew");
        var result = await db.ScriptEvaluateAsync(RedisLockScripts.Renew, [keys.Lock], [holderToken, (long)Math.Ceiling(ttl.TotalMilliseconds)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var (db, _) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("release");
        var result = await db.ScriptEvaluateAsync(RedisLockScripts.Release, keys.All, [holderToken, keys.WakeChannel])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var (db, _) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
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

    private async Task<Attempt> TryAsync(IDatabase db, RedisLockKeys keys, string token, long ttlMs, TimeSpan placeLease, bool enqueue)
    {
        Metrics.Request("acquire");
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            RedisLockScripts.Acquire, keys.All,
            [token, ttlMs, (long)placeLease.TotalMilliseconds, enqueue ? 1 : 0]).ConfigureAwait(false))!;
        return (long)result[0] == 1
            ? new Attempt(true, (long)result[1], TimeSpan.Zero)
            : new Attempt(false, 0, TimeSpan.FromMilliseconds(Math.Max(1, (long)result[1])));
    }

    private ValueTask<(IDatabase Db, RedisWakeUps WakeUps)> ConnectAsync(CancellationToken cancellationToken) => _server.ConnectAsync(cancellationToken);

    protected override ValueTask DisposeCoreAsync() => _server.DisposeAsync();

    private static readonly object QueuedMarker = new();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct Attempt(bool Held, long Fence, TimeSpan RetryIn);
}
