using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// The engine of <see cref="RedisSemaphore"/> and <see cref="RedisReaderWriterLock"/>, and the candidates' line of
/// <see cref="RedisLeaderElection"/> (<see cref="RedisCandidates"/>): one server connection, the keys of one kind
/// (<see cref="RedisSemaphoreKeys"/>) and the shared scripts (<see cref="RedisSemaphoreScripts"/>). The providers differ
/// only in the kind they pass and the requests their base class makes.
/// </summary>
internal sealed class RedisHolds : IHoldEngine
{
    /// <summary>The backend name of every Redis primitive on this engine.</summary>
    public const string Backend = "redis";

    private readonly RedisLockOptions _options;
    private readonly RedisConnection _server;
    private readonly string _kind;
    private readonly LockMetrics _metrics;
    private readonly TimeProvider _time;
    private RedisSemaphoreKeys? _lastKeys;

    /// <param name="options">The provider's validated options.</param>
    /// <param name="kind">The kind of the keys (<see cref="RedisSemaphoreKeys.SemaphoreKind"/> and the others).</param>
    /// <param name="provider">The provider's metrics, clock and logger.</param>
    public RedisHolds(RedisLockOptions options, string kind, HoldEngineServices provider)
    {
        _options = options;
        _kind = kind;
        _metrics = provider.Metrics;
        _time = provider.Time;
        _server = new RedisConnection(options.Configuration, options.Connection, options.Database, options.ConnectTimeout, options.KeyPrefix, provider.Metrics, provider.Logger);
    }

    public string Endpoint => _server.Endpoint;

    // Every command times out in the client library (AsyncTimeout), and waiters stop at their wait.
    public bool BoundsEveryCall => true;

    /// <summary>The key prefix of every key this engine touches.</summary>
    public string KeyPrefix => _options.KeyPrefix;

    /// <summary>The server connection, for the calls a provider makes beside the holds (an election's values).</summary>
    public RedisConnection Server => _server;

    public async Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var attempt = new RedisSemaphoreAttempt(request, db, _server, KeysOf(request.Name), _options.WaiterLease, _options.ClockDriftFactor, _metrics, _time);
        return await attempt.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _metrics.Request("renew");
        var result = await RedisSemaphoreScripts.Renew.EvaluateAsync(db, KeysOf(name).All, [holderToken, (long)Math.Ceiling(ttl.TotalMilliseconds)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var db = await _server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await ReleaseAsync(db, _server.WakeUps, KeysOf(name), holderToken, _metrics, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases a hold (or leaves the line) by token, and hands freed holds over in process to waiters of this process.</summary>
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

    public RedisSemaphoreKeys KeysOf(string name)
    {
        if (Volatile.Read(ref _lastKeys) is { } last && last.Name == name)
            return last;
        var keys = new RedisSemaphoreKeys(_options.KeyPrefix, name, _kind);
        Volatile.Write(ref _lastKeys, keys);
        return keys;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
