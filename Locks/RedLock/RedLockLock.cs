using System.Security.Cryptography;
using Coord.Locks.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.RedLock;

/// <summary>
/// The RedLock algorithm over several independent Redis masters: a hold needs the same key set on a
/// majority of them within the lease's validity, so it survives the loss of a minority of masters.
/// <para>
/// <b>No fencing token.</b> Independent masters share no counter, and a master that restarts without
/// persistence forgets who held a key, so no number it could issue would be safe for a downstream
/// resource to trust. <see cref="ILock.SupportsFencing"/> is false and <see cref="ILockHandle.FencingToken"/>
/// throws. Pick the single-server Redis, etcd, ZooKeeper or PostgreSQL backend where stale holders
/// must be rejected.
/// </para>
/// </summary>
/// <remarks>
/// Each master holds the key layout of <see cref="RedisLockKeys"/>, with the holder token as the value,
/// so any client that knows the token can renew or release (as the REST service does). Waiters queue
/// on every master under one client-chosen ticket, so all masters agree on who is first; a release wakes
/// only that waiter. One "acquire" request in the metrics is one round of parallel calls to all masters.
/// </remarks>
public sealed class RedLockLock : LockProvider
{
    private readonly RedLockOptions _options;
    private readonly RedisConnection[] _masters;

    public RedLockLock(RedLockOptions options, ILogger<RedLockLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _masters = options.Masters.Select(m => new RedisConnection(m, null, -1, options.ConnectTimeout, Metrics, Time)).ToArray();
    }

    public override string Backend => "redlock";
    public override string Endpoint => string.Join(",", _masters.Select(m => m.Endpoint));
    public override bool SupportsFencing => false;

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var keys = new RedisLockKeys(_options.KeyPrefix, request.Name);
        var ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
        var refresh = Min(_options.WaiterLease / 3, request.Ttl / 3);
        var willWait = !request.WaitExpired && request.RemainingWait != TimeSpan.Zero;
        // Microseconds since the epoch plus a random tail: the same ticket on every master orders the queues alike.
        var ticket = Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + RandomNumberGenerator.GetInt32(1000);
        var waiter = new RedisWaiter(request.HolderToken);
        var memberships = new List<IAsyncDisposable>();
        try
        {
            var queued = false;
            while (true)
            {
                var sent = Time.GetTimestamp();
                var (votes, retryIn) = await VoteAsync(keys, request.HolderToken, ttlMs, queued, ticket, cancellationToken).ConfigureAwait(false);
                var validity = request.Ttl - Time.GetElapsedTime(sent) - _options.DriftMarginFor(request.Ttl);
                if (votes >= _options.Quorum && validity > TimeSpan.Zero)
                    return new LockGrant(null, sent);
                if (votes > 0)
                {
                    // A minority of keys would only block the others; give them back but keep our place in line.
                    await ReleaseOnMastersAsync(keys, request.HolderToken, keepPlace: queued, cancellationToken).ConfigureAwait(false);
                    retryIn = TimeSpan.FromMilliseconds(5 + RandomNumberGenerator.GetInt32(25));
                }
                if (!willWait || request.WaitExpired)
                    return null;
                if (!queued)
                {
                    request.BackendState = waiter;
                    await JoinWakeChannelsAsync(keys, waiter, memberships, cancellationToken).ConfigureAwait(false);
                    queued = true;
                    continue; // ask again, now taking a place in every master's queue
                }
                await waiter.Signal.WaitAsync(request.NextWakeUp(Min(retryIn, refresh)), Time, cancellationToken).ConfigureAwait(false);
                if (request.WaitExpired)
                    return null;
            }
        }
        finally
        {
            foreach (var membership in memberships)
                await membership.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("renew");
        var ttlMs = (long)Math.Ceiling(ttl.TotalMilliseconds);
        var results = await FanOutAsync(db => db.ScriptEvaluateAsync(RedisLockScripts.Renew, [keys.Lock], [holderToken, ttlMs]), cancellationToken).ConfigureAwait(false);
        return results.Count(r => r is { } v && (long)v == 1) >= _options.Quorum;
    }

    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        Metrics.Request("release");
        return await ReleaseOnMastersAsync(new RedisLockKeys(_options.KeyPrefix, name), holderToken, keepPlace: false, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("status");
        var results = await FanOutAsync(async db => RedisResult.Create((RedisValue)(long)((await db.KeyTimeToLiveAsync(keys.Lock).ConfigureAwait(false))?.TotalMilliseconds ?? -1)), cancellationToken).ConfigureAwait(false);
        var remaining = results.Where(r => r is not null && (long)r! >= 0).Select(r => (long)r!).OrderDescending().ToArray();
        var held = remaining.Length >= _options.Quorum;
        return new LockStatus(name, held, held ? TimeSpan.FromMilliseconds(remaining[_options.Quorum - 1]) : null, null);
    }

    private async Task<(int Votes, TimeSpan RetryIn)> VoteAsync(RedisLockKeys keys, string token, long ttlMs, bool enqueue, long ticket, CancellationToken cancellationToken)
    {
        Metrics.Request("acquire");
        var placeLeaseMs = (long)_options.WaiterLease.TotalMilliseconds;
        var results = await FanOutAsync(
            db => db.ScriptEvaluateAsync(RedLockScripts.Acquire, keys.All, [token, ttlMs, placeLeaseMs, enqueue ? 1 : 0, ticket]),
            cancellationToken).ConfigureAwait(false);
        var answered = results.Count(r => r is not null);
        if (answered < _options.Quorum)
            throw new TimeoutException(
                $"only {answered} of {_masters.Length} Redis masters answered in time; RedLock needs {_options.Quorum} to decide");
        var votes = 0;
        var retryMs = long.MaxValue;
        foreach (var result in results.OfType<RedisResult>())
        {
            var pair = (RedisResult[])result!;
            if ((long)pair[0] == 1)
                votes++;
            else
                retryMs = Math.Min(retryMs, Math.Max(1, (long)pair[1]));
        }
        return (votes, retryMs == long.MaxValue ? _options.WaiterLease / 3 : TimeSpan.FromMilliseconds(retryMs));
    }

    private async Task<bool> ReleaseOnMastersAsync(RedisLockKeys keys, string token, bool keepPlace, CancellationToken cancellationToken)
    {
        var results = await FanOutAsync(
            db => db.ScriptEvaluateAsync(RedLockScripts.Release, keys.All, [token, keys.WakeChannel, keepPlace ? 1 : 0]),
            cancellationToken).ConfigureAwait(false);
        // Deleting a stale key of ours on a minority of masters is harmless but does not mean we held the lock.
        return results.Count(r => r is { } v && (long)v == 1) >= _options.Quorum;
    }

    private async Task JoinWakeChannelsAsync(RedisLockKeys keys, RedisWaiter waiter, List<IAsyncDisposable> memberships, CancellationToken cancellationToken)
    {
        foreach (var master in _masters)
        {
            try
            {
                var (_, wakeUps) = await master.ConnectAsync(cancellationToken).ConfigureAwait(false);
                memberships.Add(await wakeUps.JoinAsync(keys.WakeChannel, waiter, cancellationToken).WaitAsync(_options.MasterTimeout, Time, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // A master that is down wakes nobody; the others (and the fallback timer) still do.
                Logger.LogDebug(ex, "Could not subscribe to wake-ups of lock {LockName} on {Master}", keys.Lock, master.Endpoint);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> on every master at once, each bounded by the master timeout. A master
    /// that fails or is late gives null; only when every master fails does the error reach the caller.
    /// </summary>
    private async Task<RedisResult?[]> FanOutAsync(Func<IDatabase, Task<RedisResult>> call, CancellationToken cancellationToken)
    {
        var calls = _masters.Select(async master =>
        {
            var (db, _) = await master.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return await call(db).WaitAsync(_options.MasterTimeout, Time, cancellationToken).ConfigureAwait(false);
        }).ToArray();
        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && calls.Any(c => c.IsCompletedSuccessfully))
        {
            // Some masters answered; the votes of the rest count as no.
        }
        return calls.Select(c => c.IsCompletedSuccessfully ? c.Result : null).ToArray();
    }

    protected override async ValueTask DisposeCoreAsync()
    {
        foreach (var master in _masters)
            await master.DisposeAsync().ConfigureAwait(false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
