using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// The Coord REST service (one child process) over a Coord backend, driven with plain <see cref="HttpClient"/>:
/// acquire = POST, renew = PUT, release = DELETE on <c>/v1/locks/{name}</c>. Each client has its own
/// connection pool. Over HTTP a hold is a bare lease, so the client renews it itself every TTL/3.
/// </summary>
public sealed class HttpServiceTarget : LockTarget
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The service bounds one request's wait (<c>Coord:Limits:MaxWait</c>); longer waits take several requests.</summary>
    private static readonly TimeSpan MaxWaitPerRequest = TimeSpan.FromSeconds(30);

    private readonly CoordServiceNode _service;
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);

    private HttpServiceTarget(CoordServiceNode service, IReadOnlyList<IServerCounter> serverCounters)
        : base("http", "Coord.Service", isPeer: false, serverCounters)
    {
        _service = service;
    }

    /// <summary>The service's default backend fences (Redis); the runner checks token order from the responses.</summary>
    public override bool SupportsFencing => true;

    /// <summary>Starts the service with a Redis backend on <paramref name="redisConfiguration"/>.</summary>
    public static async Task<HttpServiceTarget> StartOnRedisAsync(string redisConfiguration, string keyPrefix, IReadOnlyList<IServerCounter> serverCounters, CancellationToken cancellationToken)
    {
        var service = await CoordServiceNode.StartAsync("redis",
            new Dictionary<string, string> { ["Configuration"] = redisConfiguration, ["KeyPrefix"] = keyPrefix }, cancellationToken).ConfigureAwait(false);
        return new HttpServiceTarget(service, serverCounters);
    }

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = _service.BaseAddress,
            // Bounds every request; an acquire waits at most MaxWaitPerRequest on the server.
            Timeout = MaxWaitPerRequest + TimeSpan.FromSeconds(15),
        };
        return Task.FromResult<ILockClient>(new Client(http, this));
    }

    public override IReadOnlyDictionary<string, long> ClientRequestCounts() => new Dictionary<string, long>(_requests, StringComparer.Ordinal);

    protected override async ValueTask DisposeCoreAsync() => await _service.DisposeAsync().ConfigureAwait(false);

    private void Count(string operation) => _requests.AddOrUpdate(operation, 1, (_, n) => n + 1);

    private static string Path(string name) => "v1/locks/" + Uri.EscapeDataString(name);

    private static async Task<Exception> UnexpectedAsync(HttpResponseMessage answer, string operation, CancellationToken cancellationToken)
    {
        var body = await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return new HttpRequestException($"{operation} answered {(int)answer.StatusCode}: {body}", null, answer.StatusCode);
    }

    private sealed record AcquireAnswer(string HolderToken, string? FencingToken, long TtlMs);

    private sealed class Client(HttpClient http, HttpServiceTarget target) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var ttlMs = (long)Math.Ceiling(ttl.TotalMilliseconds);
            var deadline = DateTime.UtcNow + wait;
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                var waitMs = (long)Math.Clamp(left.TotalMilliseconds, 0, MaxWaitPerRequest.TotalMilliseconds);
                target.Count("acquire");
                using var answer = await http.PostAsJsonAsync(Path(name), new { ttlMs, waitMs }, Json, cancellationToken).ConfigureAwait(false);
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    var grant = await answer.Content.ReadFromJsonAsync<AcquireAnswer>(Json, cancellationToken).ConfigureAwait(false)
                        ?? throw new HttpRequestException("acquire answered 200 without a body");
                    long? fencing = grant.FencingToken is null ? null : long.Parse(grant.FencingToken, CultureInfo.InvariantCulture);
                    return new Held(http, target, name, grant.HolderToken, fencing, TimeSpan.FromMilliseconds(grant.TtlMs));
                }
                if (answer.StatusCode != HttpStatusCode.Conflict)
                    throw await UnexpectedAsync(answer, "acquire", cancellationToken).ConfigureAwait(false);
                // 409 lock_held: this request's wait ran out; ask again while the caller's wait lasts.
                if (deadline - DateTime.UtcNow <= TimeSpan.Zero)
                    return null;
            }
        }

        public ValueTask DisposeAsync()
        {
            http.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Held : IHeldLock
    {
        private readonly HttpClient _http;
        private readonly HttpServiceTarget _target;
        private readonly string _name;
        private readonly string _holderToken;
        private readonly TimeSpan _ttl;
        private readonly CancellationTokenSource _stopRenewing = new();
        private readonly Task _renewing;
        private volatile bool _lost;

        public Held(HttpClient http, HttpServiceTarget target, string name, string holderToken, long? fencingToken, TimeSpan ttl)
        {
            _http = http;
            _target = target;
            _name = name;
            _holderToken = holderToken;
            _ttl = ttl;
            FencingToken = fencingToken;
            _renewing = RenewAsync(_stopRenewing.Token);
        }

        public long? FencingToken { get; }

        public bool IsLost => _lost;

        public async ValueTask ReleaseAsync()
        {
            await _stopRenewing.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _stopRenewing.Dispose();
            _target.Count("release");
            using var request = new HttpRequestMessage(HttpMethod.Delete, Path(_name));
            request.Headers.Add("Coord-Holder-Token", _holderToken);
            using var answer = await _http.SendAsync(request).ConfigureAwait(false);
            if (answer.StatusCode == HttpStatusCode.Conflict)
                _lost = true; // not_holder: the lease ran out before the release
            else if (answer.StatusCode != HttpStatusCode.NoContent)
                throw await UnexpectedAsync(answer, "release", CancellationToken.None).ConfigureAwait(false);
        }

        // Nothing in the service renews an HTTP hold, so the holder does, as LockHandle does for library clients.
        private async Task RenewAsync(CancellationToken stop)
        {
            try
            {
                while (!_lost)
                {
                    await Task.Delay(_ttl / 3, stop).ConfigureAwait(false);
                    _target.Count("renew");
                    using var request = new HttpRequestMessage(HttpMethod.Put, Path(_name))
                    {
                        Content = JsonContent.Create(new { ttlMs = (long)_ttl.TotalMilliseconds }, options: Json),
                    };
                    request.Headers.Add("Coord-Holder-Token", _holderToken);
                    try
                    {
                        using var answer = await _http.SendAsync(request, stop).ConfigureAwait(false);
                        if (answer.StatusCode == HttpStatusCode.Conflict)
                            _lost = true;
                    }
                    catch (HttpRequestException)
                    {
                        // One failed renewal does not end the hold; the next try or the lease's TTL decides.
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Released.
            }
        }
    }
}
