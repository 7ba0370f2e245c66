using System.Globalization;
using Coord.Locks;
using Coord.Service.Errors;
using Coord.Service.Hosting;
using Coord.Service.Locks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using System.Text.Json.Serialization.Metadata;

namespace Coord.Service.Semaphores;

/// <summary>
/// <c>/v1/semaphores/{name}</c>: POST takes a permit, PUT renews it, DELETE releases it. As on the lock routes, a
/// permit is a bare lease (<see cref="SemaphoreProvider.TryAcquireLeaseAsync"/>) that the client renews, the
/// holder token travels in the <c>Coord-Holder-Token</c> header, and an acquire sent with an <c>attemptId</c>
/// can be taken back through <c>DELETE /v1/lock-attempts/{attemptId}</c>.
/// </summary>
public static class SemaphoreEndpoints
{
    public const string Prefix = "/v1/semaphores/";

    public static IEndpointRouteBuilder MapSemaphoreEndpoints(this IEndpointRouteBuilder app)
    {
        var registry = app.ServiceProvider.GetRequiredService<LockBackendRegistry>();
        var limits = app.ServiceProvider.GetRequiredService<ServiceLimits>();
        var time = app.ServiceProvider.GetRequiredService<TimeProvider>();
        var attempts = app.ServiceProvider.GetRequiredService<AcquireAttempts>();
        var leaseJson = SizedJsonOk<PermitLeaseResponse>.TypeInfo(app.ServiceProvider);
        var semaphores = app.MapGroup("").WithTags("Semaphores");
        const string pattern = Prefix + "{**name}";
        semaphores.MapPost(pattern, (HttpContext http, [FromQuery] string? backend, [FromBody] AcquirePermitBody? body, CancellationToken cancellationToken)
                => AcquireAsync(http, registry, limits, attempts, leaseJson, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("AcquirePermit")
            .WithSummary("Take one of maxCount permits of a semaphore: returns the holder token, fencing token and expiry; 409 semaphore_full when none came free within the wait, 409 count_mismatch when the name is in use with another maxCount.");
        semaphores.MapPut(pattern, (HttpContext http, [FromQuery] string? backend, [FromBody] RenewLockBody? body, CancellationToken cancellationToken)
                => RenewAsync(http, registry, limits, time, backend, body, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("RenewPermit")
            .WithSummary($"Renew a permit by its holder token (header {LockRoute.HolderTokenHeader}); 409 when the token holds no permit of the semaphore.");
        semaphores.MapDelete(pattern, (HttpContext http, [FromQuery] string? backend, CancellationToken cancellationToken)
                => ReleaseAsync(http, registry, backend, cancellationToken))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .WithName("ReleasePermit")
            .WithSummary($"Release a permit by its holder token (header {LockRoute.HolderTokenHeader}); it goes to the longest waiter. 409 when the token holds no permit of the semaphore.");
        return app;
    }

    private static async Task<Results<SizedJsonOk<PermitLeaseResponse>, ProblemHttpResult>> AcquireAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, AcquireAttempts attempts, JsonTypeInfo<PermitLeaseResponse> leaseJson,
        string? backend, AcquirePermitBody? body, CancellationToken cancellationToken)
    {
        var name = SemaphoreName(http);
        var (target, semaphore) = Resolve(registry, backend);
        if (body?.MaxCount is not { } maxCount)
            throw new ArgumentException("maxCount is required in the acquire body: how many permits the semaphore has, 1 to 2147483647, the same for every client of the name.");
        if (maxCount < 1)
            throw new ArgumentException($"maxCount must be between 1 and 2147483647; it was {maxCount}.");
        var ttl = LeaseInput.Ttl(body.TtlMs, limits);
        var wait = LeaseInput.Wait(body.WaitMs, limits);
        LockLease? lease;
        try
        {
            if (body.AttemptId is not { } attemptId)
            {
                lease = await semaphore.TryAcquireLeaseAsync(name, maxCount, wait, ttl, cancellationToken);
            }
            else
            {
                (lease, var takenBack) = await attempts.RunAsync(attemptId, name, (semaphore.Backend, semaphore.Endpoint),
                    ct => semaphore.TryAcquireLeaseAsync(name, maxCount, wait, ttl, ct), (token, ct) => semaphore.ReleaseAsync(name, token, ct), cancellationToken);
                if (takenBack)
                {
                    return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.AttemptCancelled,
                        $"The acquire of semaphore '{name}' on backend '{target.Name}' with attemptId '{attemptId}' was taken back by its client; it holds nothing. Send a new acquire with a fresh attemptId.");
                }
            }
        }
        catch (SemaphoreCountMismatchException mismatch)
        {
            var problem = Problems.Details(StatusCodes.Status409Conflict, ProblemCodes.CountMismatch,
                $"Semaphore '{name}' on backend '{target.Name}' is in use with maxCount {mismatch.ActiveMaxCount}; this acquire sent {mismatch.RequestedMaxCount}. " +
                "Every client of a name must send the same maxCount; a new count takes effect once nobody holds or waits for the name. Nothing was changed.");
            problem.Extensions["activeMaxCount"] = mismatch.ActiveMaxCount;
            problem.Extensions["requestedMaxCount"] = mismatch.RequestedMaxCount;
            return TypedResults.Problem(problem);
        }
        if (lease is null)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.SemaphoreFull,
                $"All {maxCount} permits of semaphore '{name}' on backend '{target.Name}' are held" +
                (wait > TimeSpan.Zero ? $" and none came free within the {wait.TotalMilliseconds:0} ms waited." : ".") +
                $" Retry later or ask to wait (waitMs, at most {limits.MaxWait.TotalMilliseconds:0}).");
        }
        return new SizedJsonOk<PermitLeaseResponse>(new PermitLeaseResponse(
            name, target.Name, lease.HolderToken, lease.FencingToken?.ToString(CultureInfo.InvariantCulture), maxCount,
            (long)lease.Ttl.TotalMilliseconds, lease.ValidUntil.ToUniversalTime()), leaseJson);
    }

    private static async Task<Results<Ok<LockRenewalResponse>, ProblemHttpResult>> RenewAsync(
        HttpContext http, LockBackendRegistry registry, ServiceLimits limits, TimeProvider time,
        string? backend, RenewLockBody? body, CancellationToken cancellationToken)
    {
        var name = SemaphoreName(http);
        var (target, semaphore) = Resolve(registry, backend);
        var renewed = await LeaseRenewal.RenewAsync(http, name, target.Name, body, limits, time, "acquire",
            (token, ttl, ct) => semaphore.RenewAsync(name, token, ttl, ct), cancellationToken);
        return renewed is null ? NotHolder(name, target.Name, "renew") : TypedResults.Ok(renewed);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseAsync(
        HttpContext http, LockBackendRegistry registry, string? backend, CancellationToken cancellationToken)
    {
        var name = SemaphoreName(http);
        var (target, semaphore) = Resolve(registry, backend);
        var token = LeaseInput.HolderToken(http);
        if (!await semaphore.ReleaseAsync(name, token, cancellationToken))
            return NotHolder(name, target.Name, "release");
        return TypedResults.NoContent();
    }

    private static string SemaphoreName(HttpContext http) => LockRoute.NameAfter(http, Prefix, "semaphore");

    /// <summary>The backend a request named and its semaphore provider; <see cref="NotSupportedException"/> (501) when it has none the service can serve.</summary>
    private static (ConfiguredLockBackend Target, SemaphoreProvider Semaphore) Resolve(LockBackendRegistry registry, string? backend)
        => registry.ResolveServing(backend, b => b.Semaphore, "semaphores", "inmemory, redis, postgres and etcd");

    private static ProblemHttpResult NotHolder(string name, string backend, string operation)
        => Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.NotHolder,
            $"Cannot {operation} a permit of semaphore '{name}' on backend '{backend}': the given holder token holds none (it was released, expired, or never existed). Nothing was changed.");
}
