using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>Options for <see cref="RedisLock"/>.</summary>
public sealed class RedisLockOptions : LockOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. <c>"127.0.0.1:6379"</c>. Ignored when <see cref="Connection"/> is set.</summary>
    public string? Configuration { get; set; }

    /// <summary>An existing connection to share; the provider does not dispose it.</summary>
    public IConnectionMultiplexer? Connection { get; set; }

    /// <summary>Prefix of every key and channel; see <see cref="RedisLockKeys"/> for the layout. At most 64 characters, empty allowed. Default <c>coord:</c>.</summary>
    public string KeyPrefix { get; set; } = "coord:";

    /// <summary>
    /// Redis database number; -1 (the default) is the connection's default database; otherwise 0 up to the server's <c>databases</c>
    /// setting less one, which only the server knows: a number past it fails the first call with <see cref="LockBackendException"/>.
    /// </summary>
    public int Database { get; set; } = -1;

    /// <summary>
    /// How long a queued waiter keeps its place without refreshing it. A waiter refreshes every third of
    /// this (or of its TTL, if shorter), so a dead waiter drops out of the queue within this time. 300 ms to 10 minutes; default 6 s.
    /// </summary>
    public TimeSpan WaiterLease { get; set; } = TimeSpan.FromSeconds(6);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (Connection is null && string.IsNullOrWhiteSpace(Configuration))
            throw new ArgumentException($"Set {nameof(Configuration)} (a StackExchange.Redis configuration string such as \"127.0.0.1:6379\") or {nameof(Connection)}.", nameof(Configuration));
        if (KeyPrefix is null || KeyPrefix.Length > 64)
            throw new ArgumentException($"{nameof(KeyPrefix)} must be a string of at most 64 characters (empty is allowed).", nameof(KeyPrefix));
        if (WaiterLease < TimeSpan.FromMilliseconds(300) || WaiterLease > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{nameof(WaiterLease)} must be between 300 ms and 10 minutes; it was {WaiterLease}.", nameof(WaiterLease));
        if (Database < -1)
            throw new ArgumentException($"{nameof(Database)} must be -1 (the default database) or a database number; it was {Database}.", nameof(Database));
    }
}
