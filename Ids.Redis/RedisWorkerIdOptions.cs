namespace Coord.Ids.WorkerIds;

/// <summary>Where and how to lease Snowflake worker ids from Redis (one server or a primary with replicas, not Redis Cluster).</summary>
public sealed class RedisWorkerIdOptions
{
    /// <summary>A StackExchange.Redis configuration string such as "127.0.0.1:6379".</summary>
    public string Configuration { get; set; } = "";

    /// <summary>Keys are <c>&lt;KeyPrefix&gt;&lt;Pool&gt;:holder:&lt;id&gt;</c> (the lease) and <c>...:last:&lt;id&gt;</c> (the stored timestamp).</summary>
    public string KeyPrefix { get; set; } = "coord:worker-ids:";

    /// <summary>Generators sharing a pool name share the worker id space (one pool per Snowflake id space).</summary>
    public string Pool { get; set; } = "default";

    /// <summary>How long a lease lives without renewal; it is renewed every third of it (default 30 s).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on connecting and on each command (default 5 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every setting; called by the constructor that takes these options and at registration.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A duration is outside its range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
            throw new ArgumentException("RedisWorkerIdOptions.Configuration is required: a StackExchange.Redis configuration string such as \"127.0.0.1:6379\".");
        if (string.IsNullOrWhiteSpace(Pool) || Pool.Length > 128)
            throw new ArgumentException("RedisWorkerIdOptions.Pool must be 1 to 128 characters.");
        if (KeyPrefix is null || KeyPrefix.Length > 128)
            throw new ArgumentException("RedisWorkerIdOptions.KeyPrefix must be at most 128 characters.");
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be between 1 s and 1 h.");
        if (CommandTimeout < TimeSpan.FromMilliseconds(100) || CommandTimeout >= LeaseDuration)
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "CommandTimeout must be at least 100 ms and shorter than LeaseDuration.");
    }
}
