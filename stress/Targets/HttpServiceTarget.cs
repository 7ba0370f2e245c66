using Coord.Client;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// The Coord REST service (one child process) over a Coord backend, driven through Coord.Client: every
/// runner client is a <see cref="CoordClient"/> with its own connection pool, whose locks renew and release
/// as the library's handles do.
/// </summary>
public sealed class HttpServiceTarget : LockTarget
{
    private readonly CoordServiceNode _service;
    private readonly CoordLockTarget _clients;

    private HttpServiceTarget(CoordServiceNode service, IReadOnlyList<IServerCounter> serverCounters)
        : base("http", "Coord.Client", isPeer: false, serverCounters)
    {
        _service = service;
        // The runner's short-TTL scenarios use the service's lowered floor (CoordServiceNode sets 100 ms).
        _clients = new CoordLockTarget("http", () => CoordClient.Create(o =>
        {
            o.BaseAddress = service.BaseAddress;
            o.MinTtl = TimeSpan.FromMilliseconds(100);
        }).Locks, []);
    }

    /// <summary>The service's default backend fences (Redis); the runner checks token order from the handles.</summary>
    public override bool SupportsFencing => true;

    /// <summary>Starts the service with a Redis backend on <paramref name="redis"/>.</summary>
    public static async Task<HttpServiceTarget> StartOnRedisAsync(StressRedis redis, string keyPrefix, CancellationToken cancellationToken)
    {
        var service = await CoordServiceNode.StartAsync("redis",
            new Dictionary<string, string> { ["Configuration"] = redis.Configuration, ["KeyPrefix"] = keyPrefix }, cancellationToken).ConfigureAwait(false);
        return new HttpServiceTarget(service, redis.Counters());
    }

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken) => _clients.CreateClientAsync(cancellationToken);

    public override IReadOnlyDictionary<string, long> ClientRequestCounts() => _clients.ClientRequestCounts();

    protected override async ValueTask DisposeCoreAsync()
    {
        await _clients.DisposeAsync().ConfigureAwait(false);
        await _service.DisposeAsync().ConfigureAwait(false);
    }
}
