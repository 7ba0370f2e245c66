using System.Security.Cryptography;
using Coord.Locks.Internal;
using Coord.Locks.Redis;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.RedLock;

/// <summary>
/// One acquire on <see cref="RedLockLock"/>: a vote on every master that, when it fails, already holds
/// this waiter's place in each master's queue under one ticket, so all masters agree on who is first.
/// A release on a master claims its key for the first waiter and wakes only that waiter, which votes
/// again once a majority of masters have woken it: by then each of them has claimed its key for it, so
/// the vote wins at once instead of racing releases still on their way to the slower masters.
/// </summary>
internal sealed class RedLockAttempt(LockRequest request, RedLockLock owner, RedisLockKeys keys, RedLockOptions options, ILogger logger, TimeProvider time)
    : QueuedAttempt(request, time)
{
    private static readonly TimeSpan SplitVoteBackoff = TimeSpan.FromMilliseconds(5);

    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);

    // Microseconds since the epoch plus a random tail: the same ticket on every master orders the queues alike.
    private readonly long _ticket = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + RandomNumberGenerator.GetInt32(1000);

    private MasterWakeUp[] _wakeUps = [];
    private long _wokenBy; // one bit per master that woke this attempt since its last vote was sent

    protected override TimeSpan RefreshInterval => Min(options.WaiterLease / 3, Request.Ttl / 3);

    protected override bool CanQueueAtOnce => owner.Masters.Count(m => m.WakeUps.IsSubscribed) >= options.Quorum;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        _wakeUps = owner.Masters.Select((_, i) => new MasterWakeUp(this, i)).ToArray();
        for (var i = 0; i < owner.Masters.Count; i++)
        {
            var master = owner.Masters[i];
            try
            {
                await master.EnsureSubscribedAsync(cancellationToken).WaitAsync(options.MasterTimeout, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // A master that is down wakes nobody; the others (and the fallback timer) still do.
                logger.LogDebug(ex, "Could not subscribe to wake-ups on {Master}", master.Endpoint);
            }
            master.WakeUps.Register(Token, _wakeUps[i]);
        }
    }

    protected override void LeaveWakeUps()
    {
        for (var i = 0; i < _wakeUps.Length; i++)
            owner.Masters[i].WakeUps.Unregister(Token, _wakeUps[i]);
    }

    private void WokenBy(int master)
    {
        var bit = master < 63 ? 1L << master : 0;
        var woken = Interlocked.Or(ref _wokenBy, bit) | bit;
        if (bit == 0 || long.PopCount(woken) >= options.Quorum)
            Wake();
    }

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _wokenBy, 0);
        var sent = Time.GetTimestamp();
        var (votes, retryIn) = await owner.VoteAsync(keys, Token, _ttlMs, queue, _ticket, cancellationToken).ConfigureAwait(false);
        var validity = Request.Ttl - Time.GetElapsedTime(sent) - options.DriftMarginFor(Request.Ttl);
        if (votes >= options.Quorum && validity > TimeSpan.Zero)
            return TryResult.Held(new LockGrant(null, sent));
        if (votes > 0)
        {
            // A minority of keys would only block the others; give them back but keep our place in line.
            await owner.ReleaseOnMastersAsync(keys, Token, keepPlace: queue, cancellationToken).ConfigureAwait(false);
            retryIn = SplitVoteBackoff + TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(25));
        }
        return TryResult.NotYet(retryIn);
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        // No master hands over a key, so there is no hold to keep: leave every queue and pass on any claim.
        await owner.ReleaseOnMastersAsync(keys, Token, keepPlace: false, cancellationToken).ConfigureAwait(false);
        return null;
    }

    protected override Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => owner.ReleaseOnMastersAsync(keys, Token, keepPlace: false, cancellationToken);

    /// <summary>A wake-up from one master, counted toward the majority that makes a vote worth sending.</summary>
    private sealed class MasterWakeUp(RedLockAttempt attempt, int master) : IRedisWakeUpReader
    {
        public void Read(ReadOnlySpan<char> rest) => attempt.WokenBy(master);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
