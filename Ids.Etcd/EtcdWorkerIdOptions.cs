using System.Net.Security;

namespace Coord.Ids.WorkerIds;

/// <summary>Where and how to lease Snowflake worker ids from an etcd cluster.</summary>
public sealed class EtcdWorkerIdOptions
{
    /// <summary>Client URLs of the cluster members, such as <c>http://10.0.0.1:2379</c>; at least one.</summary>
    public IList<string> Endpoints { get; set; } = [];

    /// <summary>Keys are <c>&lt;Prefix&gt;&lt;Pool&gt;/holder/&lt;id&gt;</c> (bound to the lease) and <c>.../last/&lt;id&gt;</c> (the stored timestamp, no lease).</summary>
    public string Prefix { get; set; } = "coord/worker-ids/";

    /// <summary>Generators sharing a pool name share the worker id space (one pool per Snowflake id space).</summary>
    public string Pool { get; set; } = "default";

    /// <summary>
    /// The etcd lease's TTL, in whole seconds (default 30 s); renewed every third of it. A holder that
    /// dies frees its id this long after its last renewal (plus etcd's expiry check, up to 0.5 s).
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on each request, retries to other members included (default 5 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>etcd user, or null when the cluster has auth off.</summary>
    public string? Username { get; set; }

    /// <summary>Password of <see cref="Username"/>.</summary>
    public string? Password { get; set; }

    /// <summary>TLS settings for <c>https://</c> endpoints, as dotnet-etcd takes them (code only, not configuration).</summary>
    public Action<SslClientAuthenticationOptions>? ConfigureTls { get; set; }

    /// <summary>Checks every setting; called by the constructor that takes these options and at registration.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A duration is outside its range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
            throw new ArgumentException("EtcdWorkerIdOptions.Endpoints must list at least one etcd client URL such as \"http://127.0.0.1:2379\".");
        WorkerIdPools.Validate(Pool, "EtcdWorkerIdOptions.Pool");
        if (Prefix is null || Prefix.Length > 256)
            throw new ArgumentException("EtcdWorkerIdOptions.Prefix must be at most 256 characters (empty is allowed).");
        if (LeaseDuration < TimeSpan.FromSeconds(2) || LeaseDuration > TimeSpan.FromHours(1) || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be whole seconds from 2 s to 1 h (etcd leases count whole seconds).");
        if (CommandTimeout < TimeSpan.FromMilliseconds(100) || CommandTimeout >= LeaseDuration)
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "CommandTimeout must be at least 100 ms and shorter than LeaseDuration.");
    }
}
