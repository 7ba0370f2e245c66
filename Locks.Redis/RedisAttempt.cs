using Coord.Locks.Internal;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One acquire on <see cref="RedisLock"/>: its place in the name's queue, and the hand-off a release
/// may deliver to it (by message to its process's channel, or in process).
/// </summary>
/// <remarks>A handed-off lease is dated by <see cref="RedisHandOffNote"/>: never longer than the server's, barely shorter.</remarks>
internal sealed class RedisAttempt(
    LockRequest request,
    IDatabase db,
    RedisConnection server,
    RedisLockKeys keys,
    TimeSpan placeLease,
    double clockDriftFactor,
    LockMetrics metrics,
    TimeProvider time)
    : QueuedAttempt(request, time), IRedisWakeUpReader
{
    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
    private readonly RedisHandOffNote _handOff = new(clockDriftFactor, time);

    protected override TimeSpan RefreshInterval => Min(placeLease / 3, Request.Ttl / 3);

    protected override bool CanQueueAtOnce => server.WakeUps.IsSubscribed;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        await server.EnsureSubscribedAsync(cancellationToken).ConfigureAwait(false);
        server.WakeUps.Register(Token, keys.Lock, this);
    }

    protected override void LeaveWakeUps() => server.WakeUps.Unregister(Token, keys.Lock, this);

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
        metrics.Request("acquire");
        var sent = Time.GetTimestamp();
        var result = await RedisLockScripts.Acquire.EvaluateAsync(
            db, keys.All, [Token, _ttlMs, (long)placeLease.TotalMilliseconds, queue ? 1 : 0, server.WakeUps.Name]).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.Resp2Type == ResultType.Integer)
            return TryResult.Held(new LockGrant((long)result, sent));

        var reply = (RedisResult[])result!;
        _handOff.NoteMiss(sent, ServerMicros(reply[1], reply[2]));
        RedisLock.HandOverInProcess(server.WakeUps, reply[1], reply[2], reply[3], reply[4]);
        return TryResult.NotYet(TimeSpan.FromMilliseconds(Math.Max(1, (long)reply[0])));
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        metrics.Request("leave");
        var sent = Time.GetTimestamp();
        var reply = (RedisResult[])(await RedisLockScripts.Leave.EvaluateAsync(db, keys.All, [Token, _ttlMs]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return (long)reply[0] == 1 ? new LockGrant((long)reply[1], sent) : null;
    }

    protected override Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => RedisLock.ReleaseAsync(db, server.WakeUps, keys, Token, metrics, cancellationToken);

    public void Read(ReadOnlySpan<char> rest, bool runWaiterHere)
    {
        if (_handOff.TryKeep(rest))
            Wake(runWaiterHere);
    }

    protected override LockGrant? TakeHandOff() => _handOff.Take(Request.StartedTimestamp);

    internal static long ServerMicros(RedisResult seconds, RedisResult micros) => (long)seconds * 1_000_000 + (long)micros;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
