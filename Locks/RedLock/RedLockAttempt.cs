using System.Security.Cryptography;
using Coord.Locks.Internal;
using Coord.Locks.Redis;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.RedLock;

/// <summary>
/// One acquire on <see cref="RedLockLock"/>: a vote on every master that, when it fails, already holds
/// this waiter's place in each master's queue under one ticket, so all masters agree on who is first.
/// A release on a master wakes only the first waiter, which then votes again.
/// </summary>
internal sealed class RedLockAttempt(LockRequest request, RedLockLock owner, RedisLockKeys keys, RedLockOptions options, ILogger logger, TimeProvider time)
    : QueuedAttempt(request, time), IRedisWakeUpReader
{
    private static readonly TimeSpan SplitVoteBackoff = TimeSpan.FromMilliseconds(5);

    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);

    // Microseconds since the epoch plus a random tail: the same ticket on every master orders the queues alike.
    private readonly long _ticket = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + RandomNumberGenerator.GetInt32(1000);

    protected override TimeSpan RefreshInterval => Min(options.WaiterLease / 3, Request.Ttl / 3);

    protected override bool CanQueueAtOnce => owner.Masters.Count(m => m.WakeUps.IsSubscribed) >= options.Quorum;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        foreach (var master in owner.Masters)
        {
            try
            {
                await master.EnsureSubscribedAsync(cancellationToken).WaitAsync(options.MasterTimeout, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // A master that is down wakes nobody; the others (and the fallback timer) still do.
                logger.LogDebug(ex, "Could not subscribe to wake-ups on {Master}", master.Endpoint);
            }
            master.WakeUps.Register(Token, this);
        }
    }

    protected override void LeaveWakeUps()
    {
        foreach (var master in owner.Masters)
            master.WakeUps.Unregister(Token, this);
    }

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
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

    public void Read(ReadOnlySpan<char> rest) => Wake();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
