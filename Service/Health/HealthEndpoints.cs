using System.Diagnostics;
using Coord.Service.Errors;
using Coord.Service.Hosting;

namespace Coord.Service.Health;

/// <summary><c>/healthz</c> (the process runs; open without a key) and <c>/readyz</c> (every configured dependency answers).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" }))
            .AllowAnonymous()
            .WithTags("Health")
            .WithSummary("Liveness: 200 while the process serves requests. Needs no API key.");
        app.MapGet("/readyz", ReadyAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithTags("Health")
            .WithSummary("Readiness: 200 when every configured backend answers within Coord:Limits:ReadinessTimeout, else 503 naming the ones that did not.");
        return app;
    }

    private static async Task<IResult> ReadyAsync(IEnumerable<IReadinessCheck> checks, ServiceLimits limits, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(HealthEndpoints));
        var results = await Task.WhenAll(checks.Select(c => RunAsync(c, limits.ReadinessTimeout, logger, cancellationToken)));
        var failed = results.Where(r => r.Error is not null).ToList();
        var report = results.Select(r => new { name = r.Name, ready = r.Error is null, ms = r.Milliseconds, error = r.Error }).ToList();
        if (failed.Count == 0)
            return TypedResults.Ok(new { status = "ready", checks = report });
        var problem = Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.NotReady,
            $"Not ready: {string.Join("; ", failed.Select(f => $"{f.Name}: {f.Error}"))}");
        problem.Extensions["checks"] = report;
        return TypedResults.Problem(problem);
    }

    private static async Task<(string Name, long Milliseconds, string? Error)> RunAsync(IReadinessCheck check, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await check.CheckAsync(bounded.Token).WaitAsync(bounded.Token);
            return (check.Name, watch.ElapsedMilliseconds, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (check.Name, watch.ElapsedMilliseconds, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The client library's text stays in the log; the answer says only what kind of failure it was.
            logger.LogWarning(ex, "Readiness check {Check} failed", check.Name);
            return (check.Name, watch.ElapsedMilliseconds, BackendFailure.Kind(ex));
        }
    }
}
