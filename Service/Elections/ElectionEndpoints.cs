using System.Globalization;
using Coord.Locks;
using Coord.Service.Errors;
using Coord.Service.Hosting;
using Coord.Service.Locks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Elections;

/// <summary>
/// <c>/v1/elections/{name}</c>: POST <c>.../campaign</c> campaigns, PUT renews the leadership, DELETE resigns it, GET
/// reads the leader and GET <c>.../observe</c> streams each new leader as server-sent events. As on the lock routes, a
/// leadership is a bare lease (<see cref="LeaderElectionProvider.TryCampaignLeaseAsync"/>) that the client renews, the
/// holder token travels in the <c>Coord-Holder-Token</c> header, and a campaign sent with an <c>attemptId</c> can be
/// taken back through <c>DELETE /v1/lock-attempts/{attemptId}</c>.
/// </summary>
/// <remarks>
/// Names may contain '/', so every route has a catch-all form; the actions are the last segment. The documented
/// <c>{name}/campaign</c> and <c>{name}/observe</c> routes match names given with '/' as <c>%2F</c> (as Coord.Client
/// sends them); the catch-all routes, left out of the document, take the same names with raw slashes.
/// </remarks>
public static class ElectionEndpoints
{
    public const string Prefix = "/v1/elections/";
    public const string CampaignAction = "campaign";
    public const string ObserveAction = "observe";

    public static IEndpointRouteBuilder MapElectionEndpoints(this IEndpointRouteBuilder app)
    {
        var registry = app.ServiceProvider.GetRequiredService<LockBackendRegistry>();
        var limits = app.ServiceProvider.GetRequiredService<ServiceLimits>();
        var time = app.ServiceProvider.GetRequiredService<TimeProvider>();
        var attempts = app.ServiceProvider.GetRequiredService<AcquireAttempts>();
        var elections = app.MapGroup("").WithTags("Elections");
        const string anyName = Prefix + "{**name}";

        elections.MapPost(Prefix + "{name}/" + CampaignAction, (HttpContext http, [FromQuery] string? backend, [FromBody] CampaignBody? body, CancellationToken cancellationToken)
                => CampaignAsync(http, registry, limits, attempts, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("Campaign")
            .WithSummary("Campaign in an election and wait (waitMs) to be elected: returns the holder token, the term and the expiry; 409 not_elected when another candidate led throughout the wait.");
        elections.MapPost(anyName, (HttpContext http, [FromQuery] string? backend, [FromBody] CampaignBody? body, CancellationToken cancellationToken)
                => CampaignAsync(http, registry, limits, attempts, backend, body, cancellationToken))
            .ExcludeFromDescription();
        elections.MapPut(anyName, (HttpContext http, [FromQuery] string? backend, [FromBody] RenewLockBody? body, CancellationToken cancellationToken)
                => RenewAsync(http, registry, limits, time, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("RenewLeadership")
            .WithSummary($"Renew a leadership by its holder token (header {LockRoute.HolderTokenHeader}); 409 not_holder when the token does not lead or wait in the election.");
        elections.MapDelete(anyName, (HttpContext http, [FromQuery] string? backend, CancellationToken cancellationToken)
                => ResignAsync(http, registry, backend, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("Resign")
            .WithSummary($"Resign a leadership by its holder token (header {LockRoute.HolderTokenHeader}); the next candidate in line is elected with a higher term. 409 not_holder when the token does not lead.");
        elections.MapGet(anyName, (HttpContext http, [FromQuery] string? backend, CancellationToken cancellationToken)
                => LeaderOrObserveAsync(http, registry, time, backend, cancellationToken))
            .Produces<ElectionLeaderResponse>()
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("GetLeader")
            .WithSummary("Who leads the election now: hasLeader, and the leader's value and term; never its holder token.");
        elections.MapGet(Prefix + "{name}/" + ObserveAction, (HttpContext http, [FromQuery] string? backend, [FromQuery] long? keepAliveMs, CancellationToken cancellationToken)
                => ObserveAsync(http, registry, time, backend, keepAliveMs))
            .Produces<string>(StatusCodes.Status200OK, ElectionObserveStream.ContentType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("ObserveLeader")
            .WithSummary("Server-sent events: one 'leader' event (data: the leader as GET returns it, id: the term) for the leader now and for each change, in order, " +
                "and a comment every keepAliveMs (default 15000, 100 to 60000) while nothing changes. Runs until the client disconnects; an 'error' event (data: a problem) ends it early.");
        return app;
    }

    private static async Task<Results<Ok<LeadershipResponse>, ProblemHttpResult>> CampaignAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, AcquireAttempts attempts,
        string? backend, CampaignBody? body, CancellationToken cancellationToken)
    {
        var name = ElectionName(http, CampaignAction);
        var (target, election) = Resolve(registry, backend);
        var value = body?.Value ?? throw new ArgumentException(
            $"value is required in the campaign body: what this candidate announces once elected, such as its address; at most {LeaderElectionProvider.MaximumValueBytes} bytes as UTF-8 (empty is allowed).");
        var ttl = LeaseInput.Ttl(body.TtlMs, limits);
        var wait = LeaseInput.Wait(body.WaitMs, limits);
        LockLease? lease;
        if (body.AttemptId is not { } attemptId)
        {
            lease = await election.TryCampaignLeaseAsync(name, value, wait, ttl, cancellationToken);
        }
        else
        {
            (lease, var takenBack) = await attempts.RunAsync(attemptId, name, (election.Backend, election.Endpoint),
                ct => election.TryCampaignLeaseAsync(name, value, wait, ttl, ct), (token, ct) => election.ResignLeaseAsync(name, token, ct), cancellationToken);
            if (takenBack)
            {
                return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.AttemptCancelled,
                    $"The campaign in election '{name}' on backend '{target.Name}' with attemptId '{attemptId}' was taken back by its client; it leads and waits for nothing. Send a new campaign with a fresh attemptId.");
            }
        }
        if (lease is null)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.NotElected,
                $"Election '{name}' on backend '{target.Name}' is led by another candidate" +
                (wait > TimeSpan.Zero ? $" that did not step down within the {wait.TotalMilliseconds:0} ms waited." : ".") +
                $" The candidacy was withdrawn. Campaign again later or ask to wait (waitMs, at most {limits.MaxWait.TotalMilliseconds:0}).");
        }
        return TypedResults.Ok(new LeadershipResponse(
            name, target.Name, lease.HolderToken, Term(lease.FencingToken ?? 0), value, (long)lease.Ttl.TotalMilliseconds, lease.ValidUntil.ToUniversalTime()));
    }

    private static async Task<Results<Ok<LockRenewalResponse>, ProblemHttpResult>> RenewAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, TimeProvider time,
        string? backend, RenewLockBody? body, CancellationToken cancellationToken)
    {
        var name = ElectionName(http, action: null);
        var (target, election) = Resolve(registry, backend);
        var renewed = await LeaseRenewal.RenewAsync(http, name, target.Name, body, limits, time, "the campaign",
            (token, ttl, ct) => election.RenewLeaseAsync(name, token, ttl, ct), cancellationToken);
        return renewed is null ? NotHolder(name, target.Name, "renew") : TypedResults.Ok(renewed);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ResignAsync(
        HttpContext http, LockBackendRegistry registry, string? backend, CancellationToken cancellationToken)
    {
        var name = ElectionName(http, action: null);
        var (target, election) = Resolve(registry, backend);
        var token = LeaseInput.HolderToken(http);
        if (!await election.ResignLeaseAsync(name, token, cancellationToken))
            return NotHolder(name, target.Name, "resign");
        return TypedResults.NoContent();
    }

    /// <summary>GET of a name with raw slashes: the leader, or the observation when the last segment is <c>observe</c>.</summary>
    private static async Task LeaderOrObserveAsync(HttpContext http, LockBackendRegistry registry, TimeProvider time, string? backend, CancellationToken cancellationToken)
    {
        var full = LockRoute.NameAfter(http, Prefix, "election");
        // Read by hand rather than bound, so that the documented leader route does not offer the observation's parameter.
        var keepAlive = http.Request.Query["keepAliveMs"];
        if (full.EndsWith("/" + ObserveAction, StringComparison.Ordinal))
        {
            long? keepAliveMs = null;
            if (keepAlive.Count > 0)
            {
                keepAliveMs = keepAlive.Count == 1 && long.TryParse(keepAlive[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms)
                    ? ms
                    : throw new ArgumentException("keepAliveMs must be one whole number of milliseconds.");
            }
            await ObserveAsync(http, registry, time, backend, keepAliveMs);
            return;
        }
        if (keepAlive.Count > 0)
            throw new ArgumentException($"keepAliveMs belongs to {Prefix}{{name}}/{ObserveAction}; reading the leader takes no keepAliveMs.");
        var name = ElectionName(http, action: null);
        var (target, election) = Resolve(registry, backend);
        var leader = await election.GetLeaderAsync(name, cancellationToken);
        await TypedResults.Ok(Describe(name, target.Name, leader)).ExecuteAsync(http);
    }

    private static Task ObserveAsync(HttpContext http, LockBackendRegistry registry, TimeProvider time, string? backend, long? keepAliveMs)
    {
        var name = ElectionName(http, ObserveAction);
        var keepAlive = ElectionObserveStream.KeepAlive(keepAliveMs);
        var (target, election) = Resolve(registry, backend);
        return ElectionObserveStream.RunAsync(http, target.Name, election, name, keepAlive, time);
    }

    /// <summary>The leader as the routes show it.</summary>
    internal static ElectionLeaderResponse Describe(string name, string backend, ElectionLeader? leader)
        => new(name, backend, leader is not null, leader?.Value, leader is null ? null : Term(leader.Term));

    private static string Term(long term) => term.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The election name of the request, without the <paramref name="action"/> segment its route ends with. A name's last
    /// segment may not be an action's word, or <c>GET {name}</c> of one election would be <c>GET {name}/observe</c> of another.
    /// </summary>
    internal static string ElectionName(HttpContext http, string? action)
    {
        var full = LockRoute.NameAfter(http, Prefix, "election");
        var name = full;
        if (action is not null)
        {
            if (!full.EndsWith("/" + action, StringComparison.Ordinal))
                throw new ArgumentException($"This election URL is {Prefix}{{name}}/{action}; the name and the '/{action}' after it are required.");
            name = full[..^(action.Length + 1)];
        }
        var last = name[(name.LastIndexOf('/') + 1)..];
        if (last is CampaignAction or ObserveAction)
        {
            throw new ArgumentException(
                $"An election name's last '/'-separated segment cannot be '{CampaignAction}' or '{ObserveAction}': those words name the election's actions ({Prefix}{{name}}/{CampaignAction}, {Prefix}{{name}}/{ObserveAction}). Choose another name.");
        }
        return name;
    }

    /// <summary>The backend a request named and its election provider; <see cref="NotSupportedException"/> (501) when it has none the service can serve.</summary>
    internal static (ConfiguredLockBackend Target, LeaderElectionProvider Election) Resolve(LockBackendRegistry registry, string? backend)
        => registry.ResolveServing(backend, b => b.Election, "leader elections", "inmemory and etcd");

    // One answer whether the election has no leader, another leads, or the token never existed: telling them apart would let a caller probe for tokens.
    private static ProblemHttpResult NotHolder(string name, string backend, string operation)
        => Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.NotHolder,
            $"Cannot {operation} in election '{name}' on backend '{backend}': the given holder token neither leads nor waits in it (it resigned, expired, or never existed). Nothing was changed.");
}
