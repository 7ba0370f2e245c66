using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Coord.Locks;
using Coord.Service.Errors;
using Coord.Service.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Locks;

/// <summary>
/// <c>/v1/locks/{name}</c>: POST acquires, PUT renews, DELETE releases, GET reads the status.
/// A hold taken here is a bare lease (<see cref="Coord.Locks.ILockLeases.TryAcquireLeaseAsync"/>): nothing in
/// the service renews it, so when the client stops renewing, the lock frees itself after its TTL.
/// </summary>
public static class LockEndpoints
{
    public static IEndpointRouteBuilder MapLockEndpoints(this IEndpointRouteBuilder app)
    {
        // Singletons taken once here rather than as handler parameters: a service parameter makes every request
        // open (and dispose) a DI scope, a cost the lock routes otherwise never pay.
        var registry = app.ServiceProvider.GetRequiredService<LockBackendRegistry>();
        var limits = app.ServiceProvider.GetRequiredService<ServiceLimits>();
        var time = app.ServiceProvider.GetRequiredService<TimeProvider>();
        var attempts = app.ServiceProvider.GetRequiredService<AcquireAttempts>();
        var leaseJson = SizedJsonOk<LockLeaseResponse>.TypeInfo(app.ServiceProvider);
        var locks = app.MapGroup("").WithTags("Locks");
        locks.MapPost(LockRoute.Pattern, (HttpContext http, [FromQuery] string? backend, [FromBody] AcquireLockBody? body, CancellationToken cancellationToken)
                => AcquireAsync(http, registry, limits, attempts, leaseJson, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("AcquireLock")
            .WithSummary("Acquire a lock: returns the holder token, fencing token and expiry; 409 when held elsewhere after the wait.");
        locks.MapPut(LockRoute.Pattern, (HttpContext http, [FromQuery] string? backend, [FromBody] RenewLockBody? body, CancellationToken cancellationToken)
                => RenewAsync(http, registry, limits, time, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithName("RenewLock")
            .WithSummary($"Renew a hold by its holder token (header {LockRoute.HolderTokenHeader}); 409 when the token does not hold the lock.");
        locks.MapDelete(LockRoute.Pattern, (HttpContext http, [FromQuery] string? backend, CancellationToken cancellationToken)
                => ReleaseAsync(http, registry, backend, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("ReleaseLock")
            .WithSummary($"Release a hold by its holder token (header {LockRoute.HolderTokenHeader}); 409 when the token does not hold the lock.");
        locks.MapGet(LockRoute.Pattern, (HttpContext http, [FromQuery] string? backend, CancellationToken cancellationToken)
                => StatusAsync(http, registry, backend, cancellationToken))
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("GetLockStatus")
            .WithSummary("Whether the lock is held, time left and latest fencing token; never the holder token.");
        locks.MapDelete(AttemptRoutePattern, (string attemptId, CancellationToken cancellationToken)
                => CancelAttemptAsync(attempts, attemptId, cancellationToken))
            .WithName("CancelLockAttempt")
            .WithSummary("Take back an acquire sent with this attemptId: stops its wait, releases what it was granted, or refuses it if it has not arrived yet. 204 once the service keeps nothing for it.");
        return app;
    }

    /// <summary>Where a client takes back an acquire it named; a route of its own, since lock names may contain '/'.</summary>
    public const string AttemptRoutePattern = "/v1/lock-attempts/{attemptId}";

    private static async Task<Results<SizedJsonOk<LockLeaseResponse>, ProblemHttpResult>> AcquireAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, AcquireAttempts attempts, JsonTypeInfo<LockLeaseResponse> leaseJson,
        string? backend, AcquireLockBody? body, CancellationToken cancellationToken)
    {
        var name = LockRoute.LockName(http);
        var target = registry.Resolve(backend);
        var ttl = LeaseInput.Ttl(body?.TtlMs, limits);
        var wait = LeaseInput.Wait(body?.WaitMs, limits);
        LockLease? lease;
        if (body?.AttemptId is not { } attemptId)
        {
            lease = await target.Lock.TryAcquireLeaseAsync(name, wait, ttl, cancellationToken);
        }
        else
        {
            (lease, var takenBack) = await attempts.RunAsync(attemptId, name, (target.Lock.Backend, target.Lock.Endpoint),
                ct => target.Lock.TryAcquireLeaseAsync(name, wait, ttl, ct), (token, ct) => target.Lock.ReleaseAsync(name, token, ct), cancellationToken);
            if (takenBack)
                return AttemptCancelled(name, target.Name, attemptId);
        }
        if (lease is null)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.LockHeld,
                $"Lock '{name}' on backend '{target.Name}' is held by someone else" +
                (wait > TimeSpan.Zero ? $" and was not freed within the {wait.TotalMilliseconds:0} ms waited." : ".") +
                $" Retry later or ask to wait (waitMs, at most {limits.MaxWait.TotalMilliseconds:0}).");
        }
        return new SizedJsonOk<LockLeaseResponse>(new LockLeaseResponse(
            name, target.Name, lease.HolderToken, lease.FencingToken?.ToString(CultureInfo.InvariantCulture),
            (long)lease.Ttl.TotalMilliseconds, lease.ValidUntil.ToUniversalTime()), leaseJson);
    }

    private static async Task<Results<Ok<LockRenewalResponse>, ProblemHttpResult>> RenewAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, TimeProvider time,
        string? backend, RenewLockBody? body, CancellationToken cancellationToken)
    {
        var name = LockRoute.LockName(http);
        var target = registry.Resolve(backend);
        var renewed = await LeaseRenewal.RenewAsync(http, name, target.Name, body, limits, time, "acquire",
            (token, ttl, ct) => target.Lock.RenewAsync(name, token, ttl, ct), cancellationToken);
        return renewed is null ? NotHolder(name, target.Name, "renew") : TypedResults.Ok(renewed);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseAsync(
        HttpContext http, LockBackendRegistry registry, string? backend, CancellationToken cancellationToken)
    {
        var name = LockRoute.LockName(http);
        var target = registry.Resolve(backend);
        var token = LeaseInput.HolderToken(http);
        if (!await target.Lock.ReleaseAsync(name, token, cancellationToken))
            return NotHolder(name, target.Name, "release");
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> CancelAttemptAsync(AcquireAttempts attempts, string attemptId, CancellationToken cancellationToken)
    {
        AcquireAttempts.Validate(attemptId, "The attempt id in the URL");
        await attempts.CancelAsync(attemptId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult AttemptCancelled(string name, string backend, string attemptId)
        => Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.AttemptCancelled,
            $"The acquire of lock '{name}' on backend '{backend}' with attemptId '{attemptId}' was taken back by its client; it holds nothing. Send a new acquire with a fresh attemptId.");

    private static async Task<Ok<LockStatusResponse>> StatusAsync(
        HttpContext http, LockBackendRegistry registry, string? backend, CancellationToken cancellationToken)
    {
        var name = LockRoute.LockName(http);
        var target = registry.Resolve(backend);
        var status = await target.Lock.GetStatusAsync(name, cancellationToken);
        // Only the current hold's values: what backends remember about a free lock differs (Redis and
        // PostgreSQL keep the last fence, etcd and ZooKeeper delete the key), and a client must not depend on that.
        return TypedResults.Ok(new LockStatusResponse(
            name, target.Name, status.Held,
            status.Held && status.ExpiresIn is { } left ? (long)Math.Ceiling(left.TotalMilliseconds) : null,
            status.Held ? status.FencingToken?.ToString(CultureInfo.InvariantCulture) : null));
    }

    // One answer whether the lock is free, held by someone else or the token never existed: telling
    // them apart would let a caller probe for tokens.
    private static ProblemHttpResult NotHolder(string name, string backend, string operation)
        => Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.NotHolder,
            $"Cannot {operation} lock '{name}' on backend '{backend}': the given holder token does not hold it (the hold was released, expired, or belongs to someone else). Nothing was changed.");
}
