using Coord.Locks.Internal;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One acquire on <see cref="RedisSemaphore"/> or <see cref="RedisReaderWriterLock"/>: its place in the name's line, and the hand-off a release
/// may deliver to it on its process's wake channel (or in process). The waiting loop is the lock's
/// (<see cref="QueuedAttempt"/>); only the round trips are the semaphore's.
/// </summary>
/// <remarks>A handed-off permit's lease is dated as a lock waiter's is, by <see cref="RedisHandOffNote"/>.</remarks>
internal sealed class RedisSemaphoreAttempt(
    LockRequest request,
    IDatabase db,
    RedisConnection server,
    RedisSemaphoreKeys keys,
    TimeSpan placeLease,
    double clockDriftFactor,
    LockMetrics metrics,
    TimeProvider time)
    : QueuedAttempt(request, time), IRedisWakeUpReader
{
    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
    private readonly RedisHandOffNote _handOff = new(clockDriftFactor, time);

    protected override TimeSpan RefreshInterval => placeLease / 3 < Request.Ttl / 3 ? placeLease / 3 : Request.Ttl / 3;

    protected override bool CanQueueAtOnce => server.WakeUps.IsSubscribed;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        await server.EnsureSubscribedAsync(cancellationToken).ConfigureAwait(false);
        server.WakeUps.Register(Token, keys.Holders, this);
    }

    protected override void LeaveWakeUps() => server.WakeUps.Unregister(Token, keys.Holders, this);

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
        metrics.Request("acquire");
        var sent = Time.GetTimestamp();
        var reply = (RedisResult[])(await RedisSemaphoreScripts.Acquire.EvaluateAsync(
            db, keys.All, [Token, _ttlMs, (long)placeLease.TotalMilliseconds, queue ? 1 : 0, server.WakeUps.Name, Request.MaxHolders, Request.IsShared ? 1 : 0])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        RedisHolds.HandOverInProcess(server.WakeUps, reply);
        switch ((long)reply[0])
        {
            case 1:
                return TryResult.Held(new LockGrant((long)reply[1], sent));
            case 2:
                throw new SemaphoreCountMismatchException(Request.Name, "redis", server.Endpoint, Request.MaxHolders, (int)(long)reply[1]);
            default:
                _handOff.NoteMiss(sent, RedisAttempt.ServerMicros(reply[2], reply[3]));
                return TryResult.NotYet(TimeSpan.FromMilliseconds((long)reply[1]));
        }
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        metrics.Request("leave");
        var sent = Time.GetTimestamp();
        var reply = (RedisResult[])(await RedisSemaphoreScripts.Leave.EvaluateAsync(db, keys.All, [Token, _ttlMs, server.WakeUps.Name])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        RedisHolds.HandOverInProcess(server.WakeUps, reply);
        return (long)reply[0] == 1 ? new LockGrant((long)reply[1], sent) : null;
    }

    protected override Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => RedisHolds.ReleaseAsync(db, server.WakeUps, keys, Token, metrics, cancellationToken);

    public void Read(ReadOnlySpan<char> rest, bool runWaiterHere)
    {
        if (_handOff.TryKeep(rest))
            Wake(runWaiterHere);
    }

    protected override LockGrant? TakeHandOff() => _handOff.Take(Request.StartedTimestamp);
}
