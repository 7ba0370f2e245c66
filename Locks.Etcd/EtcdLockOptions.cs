using System.Net.Security;

namespace Coord.Locks.Etcd;

/// <summary>Options for <see cref="EtcdLock"/> and <see cref="EtcdSemaphore"/>.</summary>
/// <remarks>
/// etcd lease TTLs are whole seconds: a hold's lease is granted for the TTL rounded up to the next
/// second, and etcd itself raises TTLs below its minimum (1.5 election timeouts, 2 s with default
/// server settings). The client still counts validity from the TTL that was asked for, so rounding
/// only ever makes the server keep a hold longer than the client relies on it, never shorter.
/// </remarks>
public class EtcdLockOptions : LockOptions
{
    /// <summary>
    /// Client URLs of the cluster members, e.g. <c>http://10.0.0.1:2379</c>. Requests are spread over
    /// all of them and move to the others when one fails. At least one is required; all <c>http://</c> or all <c>https://</c>.
    /// </summary>
    public IList<string> Endpoints { get; set; } = [];

    /// <summary>
    /// Put before the encoded lock name; see <see cref="EtcdLockKeys"/> for the layout (a semaphore's keys
    /// are under <c>&lt;prefix&gt;%sem/</c>, apart from every lock's). Default
    /// <c>coord/lock/</c>. Empty makes a Coord lock <c>x</c> the same as <c>etcdctl lock x</c>. At most 256 characters.
    /// </summary>
    public string Prefix { get; set; } = "coord/lock/";

    /// <summary>etcd user for authentication, or null when the cluster has auth off. Set together with <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    /// <summary>Password of <see cref="Username"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// TLS settings (CA, client certificate) for <c>https://</c> endpoints, as dotnet-etcd takes them.
    /// Null with <c>http://</c> endpoints.
    /// </summary>
    public Action<SslClientAuthenticationOptions>? ConfigureTls { get; set; }

    /// <summary>
    /// How long one request may go unanswered before it is sent again (each retry waits twice as
    /// long, all within <see cref="LockOptions.ConnectTimeout"/>). An etcd member whose leader has just
    /// died can hold a request for etcd's own request timeout (about 7 s) before failing it; sent
    /// again, the request reaches the new leader within an election. 50 ms to 1 minute; default 1 s.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (Endpoints is null || Endpoints.Count == 0)
            throw new ArgumentException($"{nameof(Endpoints)} must list at least one etcd client URL such as \"http://127.0.0.1:2379\".", nameof(Endpoints));
        foreach (var endpoint in Endpoints)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"Each of {nameof(Endpoints)} must be an http:// or https:// URL, such as \"http://127.0.0.1:2379\"; '{endpoint}' is not.", nameof(Endpoints));
        }
        var secure = Endpoints.Select(e => e.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).Distinct().ToArray();
        if (secure.Length > 1)
            throw new ArgumentException($"{nameof(Endpoints)} must be all http:// or all https://.", nameof(Endpoints));
        if (Prefix is null || Prefix.Length > 256)
            throw new ArgumentException($"{nameof(Prefix)} must be a string of at most 256 characters (empty is allowed).", nameof(Prefix));
        if (AttemptTimeout < TimeSpan.FromMilliseconds(50) || AttemptTimeout > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"{nameof(AttemptTimeout)} must be between 50 ms and 1 minute; it was {AttemptTimeout}.", nameof(AttemptTimeout));
        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
            throw new ArgumentException($"Set both {nameof(Username)} and {nameof(Password)}, or neither.", nameof(Username));
    }
}
