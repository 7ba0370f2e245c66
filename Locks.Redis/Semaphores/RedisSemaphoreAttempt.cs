using Coord.Locks.Internal;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// One acquire on <see cref="RedisSemaphore"/>: its place in the name's line, and the hand-off a release
/// may deliver to it on its process's wake channel (or in process). The waiting loop is the lock's
/// (<see cref="QueuedAttempt"/>); only the round trips are the semaphore's.
/// </summary>
/// <remarks>
/// A hand-off starts the permit's lease on the server at the hand-off; the waiter dates it as a lock
/// waiter does (<see cref="RedisAttempt"/>): from when it sent its last attempt that found no permit,
/// moved on by the server time between that attempt and the hand-off, less the drift factor.
/// </remarks>
internal sealed class RedisSemaphoreAttempt(
    LockRequest request,
    IDatabase db,
    RedisConnection server,
    RedisSemaphoreKeys keys,
    TimeSpan placeLease,
    double clockDriftFactor,
    SemaphoreProvider provider,
    TimeProvider time)
    : QueuedAttempt(request, time), IRedisWakeUpReader
{
    private readonly long _ttlMs = (long)Math.Ceiling(request.Ttl.TotalMilliseconds);
    private HandOffNote? _handOff;
    private long _lastMissSent;
    private long _lastMissServerMicros = -1;

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
        provider.Metrics.Request("acquire");
        var sent = Time.GetTimestamp();
        var reply = (RedisResult[])(await RedisSemaphoreScripts.Acquire.EvaluateAsync(
            db, keys.All, [Token, _ttlMs, (long)placeLease.TotalMilliseconds, queue ? 1 : 0, server.WakeUps.Name, Request.MaxHolders])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        RedisSemaphore.HandOverInProcess(server.WakeUps, reply);
        switch ((long)reply[0])
        {
            case 1:
                return TryResult.Held(new LockGrant((long)reply[1], sent));
            case 2:
                throw new SemaphoreCountMismatchException(Request.Name, provider.Backend, provider.Endpoint, Request.MaxHolders, (int)(long)reply[1]);
            default:
                _lastMissSent = sent;
                _lastMissServerMicros = RedisAttempt.ServerMicros(reply[2], reply[3]);
                return TryResult.NotYet(TimeSpan.FromMilliseconds((long)reply[1]));
        }
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        provider.Metrics.Request("leave");
        var sent = Time.GetTimestamp();
        var reply = (RedisResult[])(await RedisSemaphoreScripts.Leave.EvaluateAsync(db, keys.All, [Token, _ttlMs]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return (long)reply[0] == 1 ? new LockGrant((long)reply[1], sent) : null;
    }

    protected override Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => RedisSemaphore.ReleaseAsync(db, server.WakeUps, keys, Token, provider.Metrics, cancellationToken);

    public void Read(ReadOnlySpan<char> rest)
    {
        // ":fence:serverSeconds:serverMicroseconds"
        Span<long> numbers = stackalloc long[3];
        if (!IRedisWakeUpReader.TryReadNumbers(rest, numbers))
            return;
        Volatile.Write(ref _handOff, new HandOffNote(numbers[0], numbers[1] * 1_000_000 + numbers[2]));
        Wake();
    }

    protected override LockGrant? TakeHandOff()
    {
        if (Volatile.Read(ref _handOff) is not { } handOff)
            return null;
        if (_lastMissServerMicros < 0)
            return new LockGrant(handOff.Fence, Request.StartedTimestamp);
        var serverMicrosSinceMiss = Math.Max(0, handOff.ServerMicros - _lastMissServerMicros) * (1 - clockDriftFactor);
        var ticks = (long)(serverMicrosSinceMiss * Time.TimestampFrequency / 1_000_000);
        return new LockGrant(handOff.Fence, Math.Min(_lastMissSent + ticks, Time.GetTimestamp()));
    }

    private sealed record HandOffNote(long Fence, long ServerMicros);
}
