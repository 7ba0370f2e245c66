using System.Security.Cryptography;
using Coord.Locks.Internal;
using Coord.Locks.Redis;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.RedLock;

/// <summary>
/// One acquire on <see cref="RedLockLock"/>: a vote on every master that, when it fails, already holds
/// this waiter's place in each master's queue under one ticket, so all masters agree on who is first.
/// A release on a master hands that master's key to the first waiter and tells only that waiter; the
/// waiter holds the lock once a majority of masters have handed it their keys, with no vote round of its own.
/// </summary>
/// <remarks>
/// <para>
/// Validity counts from before the earliest key write of the masters it relies on: for each master, the
/// waiter knows when it sent its last request that master turned down and the master's clock in that
/// answer; the hand-off message carries the master's clock at the write, so the write came at least the
/// master time between the two (less the drift factor) after that send. The earliest of these bounds
/// starts the lease; each master's key lives a whole TTL from its own write, so none expires before the
/// client stops vouching.
/// </para>
/// <para>
/// A master's "no" to a vote, and a give-back of a minority of keys (a split vote), void every hand-off
/// from that master dated before that answer: such a message may arrive after the answer, and counting
/// it would claim a key the waiter no longer has.
/// </para>
/// </remarks>
internal sealed class RedLockAttempt(LockRequest request, RedLockLock owner, RedisLockKeys keys, RedLockOptions options, ILogger logger, TimeProvider time)
    : QueuedAttempt(request, time)
{
    private static readonly TimeSpan SplitVoteBackoff = TimeSpan.FromMilliseconds(5);

    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
    private readonly TimeSpan _margin = options.DriftMarginFor(request.Ttl);

    // Microseconds since the epoch plus a random tail: the same ticket on every master orders the queues alike.
    private readonly long _ticket = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + RandomNumberGenerator.GetInt32(1000);

    // Per master, guarded by _sync: the last "no" (local send time, master clock), the latest hand-off
    // received (master clock, -1 for none) and the master clock of the latest give-back.
    private readonly object _sync = new();
    private readonly MasterState[] _state = Enumerable.Range(0, owner.Masters.Count).Select(_ => new MasterState()).ToArray();
    private MasterWakeUp[] _wakeUps = [];

    protected override TimeSpan RefreshInterval => Min(options.WaiterLease / 3, Request.Ttl / 3);

    protected override bool CanQueueAtOnce => owner.Masters.Count(m => m.WakeUps.IsSubscribed) >= options.Quorum;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        _wakeUps = owner.Masters.Select((_, i) => new MasterWakeUp(this, i)).ToArray();
        await Task.WhenAll(owner.Masters.Select(async (master, i) =>
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
            master.WakeUps.Register(Token, keys.Lock, _wakeUps[i]);
        })).ConfigureAwait(false);
    }

    protected override void LeaveWakeUps()
    {
        for (var i = 0; i < _wakeUps.Length; i++)
            owner.Masters[i].WakeUps.Unregister(Token, keys.Lock, _wakeUps[i]);
    }

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
        var sent = Time.GetTimestamp();
        var votes = await owner.VoteAsync(keys, Token, _ttlMs, queue, _ticket, ConnectWait(), cancellationToken).ConfigureAwait(false);
        var retryMs = long.MaxValue;
        var yes = 0;
        var bounds = new long[votes.Length];
        lock (_sync)
        {
            for (var i = 0; i < votes.Length; i++)
            {
                bounds[i] = -1;
                if (votes[i] is not { } vote)
                    continue;
                if (vote.Held)
                {
                    // The key lives a TTL from the vote's execution, which came after it was sent.
                    yes++;
                    bounds[i] = sent;
                    continue;
                }
                // A "no" means the key was not ours when the master answered: an older hand-off is void.
                var state = _state[i];
                state.MissSent = sent;
                state.MissServerMicros = vote.ServerMicros;
                Void(state, vote.ServerMicros);
                retryMs = Math.Min(retryMs, vote.RetryMs);
            }
            // Keys handed over by messages count beside the votes: together they may make the majority.
            if (yes > 0 && LeaseStart(bounds) is { } start)
                return TryResult.Held(new LockGrant(null, start));
        }

        if (yes > 0)
        {
            // A minority of keys would only block the others; give them back but keep our place in line.
            var released = await owner.ReleaseEachAsync(keys, Token, keepPlace: queue, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                for (var i = 0; i < released.Length; i++)
                {
                    if (released[i] >= 0)
                        Void(_state[i], released[i]);
                }
            }
            return TryResult.NotYet(SplitVoteBackoff + TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(25)));
        }
        return TryResult.NotYet(retryMs == long.MaxValue ? options.WaiterLease / 3 : TimeSpan.FromMilliseconds(retryMs));
    }

    protected override LockGrant? TakeHandOff()
    {
        lock (_sync)
        {
            var bounds = new long[_state.Length];
            Array.Fill(bounds, -1);
            return LeaseStart(bounds) is { } start ? new LockGrant(null, start) : null;
        }
    }

    /// <summary>
    /// With <paramref name="bounds"/> holding the lease-start bounds already known (votes just won), adds
    /// those of the hand-offs received; when a majority of masters is covered and the earliest bound still
    /// leaves validity, returns it. Called under <see cref="_sync"/>.
    /// </summary>
    private long? LeaseStart(long[] bounds)
    {
        var now = Time.GetTimestamp();
        var covered = 0;
        var start = long.MaxValue;
        for (var i = 0; i < bounds.Length; i++)
        {
            var bound = bounds[i] >= 0 ? bounds[i] : HandOffBound(_state[i], now);
            if (bound < 0)
                continue;
            covered++;
            start = Math.Min(start, bound);
        }
        if (covered < options.Quorum)
            return null;
        var validTicks = (long)((Request.Ttl - _margin).TotalSeconds * Time.TimestampFrequency);
        return start + validTicks > now ? start : null;
    }

    /// <summary>The earliest local time at which a master's hand-off to us can have been written; -1 when there is none.</summary>
    private long HandOffBound(MasterState state, long now)
    {
        if (state.HandOffMicros < 0)
            return -1;
        if (state.MissServerMicros < 0)
            return Request.StartedTimestamp; // the key names our token, so it was written after we asked
        var masterMicros = Math.Max(0, state.HandOffMicros - state.MissServerMicros) * (1 - options.ClockDriftFactor);
        var bound = state.MissSent + (long)(masterMicros * Time.TimestampFrequency / 1_000_000);
        return Math.Min(bound, now);
    }

    /// <summary>Forgets a hand-off from a master dated at or before <paramref name="serverMicros"/>, and ignores any such that arrives later.</summary>
    private static void Void(MasterState state, long serverMicros)
    {
        state.VoidedBeforeMicros = Math.Max(state.VoidedBeforeMicros, serverMicros);
        if (state.HandOffMicros <= state.VoidedBeforeMicros)
            state.HandOffMicros = -1;
    }

    private void HandedOffBy(int master, long serverMicros, bool runWaiterHere)
    {
        bool majority;
        lock (_sync)
        {
            var state = _state[master];
            if (serverMicros <= state.VoidedBeforeMicros || serverMicros <= state.HandOffMicros)
                return;
            state.HandOffMicros = serverMicros;
            majority = _state.Count(s => s.HandOffMicros >= 0) >= options.Quorum;
        }
        if (majority)
            Wake(runWaiterHere);
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        // Keys handed over too late to count are passed on with the place in line.
        await owner.ReleaseOnMastersAsync(keys, Token, keepPlace: false, cancellationToken).ConfigureAwait(false);
        return null;
    }

    protected override Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => owner.ReleaseOnMastersAsync(keys, Token, keepPlace: false, cancellationToken);

    private sealed class MasterState
    {
        public long MissSent;
        public long MissServerMicros = -1;
        public long HandOffMicros = -1;
        public long VoidedBeforeMicros = -1;
    }

    /// <summary>A hand-off from one master (":serverSeconds:serverMicroseconds"), counted toward the majority that makes a hold.</summary>
    private sealed class MasterWakeUp(RedLockAttempt attempt, int master) : IRedisWakeUpReader
    {
        public void Read(ReadOnlySpan<char> rest, bool runWaiterHere)
        {
            Span<long> numbers = stackalloc long[2];
            if (IRedisWakeUpReader.TryReadNumbers(rest, numbers))
                attempt.HandedOffBy(master, numbers[0] * 1_000_000 + numbers[1], runWaiterHere);
        }
    }

    /// <summary>How long a master's first connect may hold up a vote: the rest of the wait, at most the connect timeout.</summary>
    private TimeSpan ConnectWait()
        => Request.RemainingWait == Timeout.InfiniteTimeSpan ? options.ConnectTimeout : Min(Request.RemainingWait, options.ConnectTimeout);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
