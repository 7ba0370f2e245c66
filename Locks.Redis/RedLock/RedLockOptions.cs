namespace Coord.Locks.RedLock;

/// <summary>Options for <see cref="RedLockLock"/>.</summary>
public sealed class RedLockOptions : LockOptions
{
    /// <summary>One StackExchange.Redis configuration string per independent master (not replicas of each other). At least 3 is usual; an odd number is best. No duplicates.</summary>
    public IList<string> Masters { get; set; } = [];

    /// <summary>Prefix of every key and channel, with the layout of <see cref="Redis.RedisLockKeys"/>. At most 64 characters, empty allowed. Default <c>coord:</c>.</summary>
    public string KeyPrefix { get; set; } = "coord:";

    /// <summary>
    /// How long one master may take to answer before it counts as a "no" for that attempt. Kept well
    /// below the TTL so that a dead master does not eat the lease's validity. A master's first connect is not
    /// held to it: while no majority has answered, a vote waits for masters still connecting up to the
    /// connect timeout (and no longer than the acquire's wait). 5 ms to 30 s; default 500 ms.
    /// </summary>
    public TimeSpan MasterTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a queued waiter keeps its place on each master without refreshing it. 300 ms to 10 minutes; default 6 s.</summary>
    public TimeSpan WaiterLease { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Masters that must agree: a strict majority.</summary>
    public int Quorum => Masters.Count / 2 + 1;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (Masters is null || Masters.Count == 0 || Masters.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"{nameof(Masters)} must list at least one Redis master (StackExchange.Redis configuration strings such as \"10.0.0.1:6379\"); three or more independent masters are what makes RedLock tolerate a failure.", nameof(Masters));
        if (Masters.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Masters.Count)
            throw new ArgumentException($"{nameof(Masters)} lists the same master twice; each vote must come from a different server.", nameof(Masters));
        if (KeyPrefix is null || KeyPrefix.Length > 64)
            throw new ArgumentException($"{nameof(KeyPrefix)} must be a string of at most 64 characters (empty is allowed).", nameof(KeyPrefix));
        if (MasterTimeout < TimeSpan.FromMilliseconds(5) || MasterTimeout > TimeSpan.FromSeconds(30))
            throw new ArgumentException($"{nameof(MasterTimeout)} must be between 5 ms and 30 s; it was {MasterTimeout}.", nameof(MasterTimeout));
        if (WaiterLease < TimeSpan.FromMilliseconds(300) || WaiterLease > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{nameof(WaiterLease)} must be between 300 ms and 10 minutes; it was {WaiterLease}.", nameof(WaiterLease));
    }
}
