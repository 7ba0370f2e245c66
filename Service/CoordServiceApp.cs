using Coord.Service.Errors;
using Coord.Service.Health;
using Coord.Service.Hosting;
using Coord.Service.Ids;
using Coord.Service.Locks;
using Coord.Service.Security;
using Coord.Service.Elections;
using Coord.Service.Semaphores;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Http.Json;
using Prometheus;

namespace Coord.Service;

/// <summary>
/// Builds the Coord REST service from configuration (appsettings, environment, command line). With no
/// configuration it is dev mode: in-memory backends on <see cref="BindingGuard.DevModeUrl"/> only.
/// </summary>
public static class CoordServiceApp
{
    public const string ApiKeysSection = "Coord:ApiKeys";
    public const int MinimumApiKeyLength = 16;

    /// <summary>
    /// Builds the app; throws <see cref="InvalidOperationException"/> or <see cref="ArgumentException"/>
    /// with a message naming the setting when the configuration cannot work (bad backend settings). Starting
    /// it throws <see cref="InvalidOperationException"/> when it bound an address beyond loopback without API keys
    /// (<see cref="ListenGuard"/>).
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        // appsettings.json lives beside the executable, wherever the service is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var configuration = builder.Configuration;
        // The host logs a failed start with its stack trace; Program says it in one line instead (and in
        // full when it is not a known operator mistake). Critical entries, such as a background service stopping the host, still show.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        StrictConfiguration.RejectUnknownKeys(configuration.GetSection("Coord"), "ApiKeys", "Locks", "Ids", "Limits");
        var limits = StrictConfiguration.Bind(configuration.GetSection(ServiceLimits.SectionName), new ServiceLimits());
        limits.Validate();
        var apiKeys = ReadApiKeys(configuration);

        if (BindingGuard.ConfiguredAddresses(configuration).Count == 0)
            builder.WebHost.UseUrls(BindingGuard.DevModeUrl);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });

        var services = builder.Services;
        services.AddSingleton(limits);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => LockBackendRegistry.FromConfiguration(
            configuration, LockBackendFactories.All, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AcquireAttempts(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => IdServices.FromConfiguration(
            configuration, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IEnumerable<IReadinessCheck>>(sp => ReadinessChecks(sp.GetRequiredService<LockBackendRegistry>(), sp.GetRequiredService<IdServices>()));

        services.AddHostedService<BackendWarmUp>();
        services.AddSingleton(sp => new ListenGuard(
            sp.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(), apiKeys.Count > 0,
            bound => StartupLine(sp.GetRequiredService<LockBackendRegistry>(), sp.GetRequiredService<IdServices>(), bound, apiKeys.Count),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<ListenGuard>());

        services.AddProblemDetails(o => o.CustomizeProblemDetails = StatusProblemDefaults.Apply);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Bad JSON and wrong content types become exceptions, so they reach the same problem mapping as everything else.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, LockJsonContext.Default);
        });
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer<BearerSecurityTransformer>();
            o.AddDocumentTransformer<OpenApiContractTransformer>();
            o.AddOperationTransformer<OpenApiContractTransformer>();
            o.AddSchemaTransformer<OpenApiContractTransformer>();
        });


        MetricsExport.Start();

        var app = builder.Build();
        // Made now, so that a configuration mistake stops start-up with its message instead of failing the first request.
        try
        {
            app.Services.GetRequiredService<LockBackendRegistry>();
            app.Services.GetRequiredService<IdServices>();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        app.Use(app.Services.GetRequiredService<ListenGuard>().Gate);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RejectOversizedBodies(limits));
        if (apiKeys.Count > 0)
        {
            // After routing, so that the middleware can see which endpoint is open (/healthz).
            app.UseRouting();
            app.Use(new ApiKeyMiddleware(apiKeys).InvokeAsync);
        }

        app.MapHealthEndpoints();
        // Every API route may answer these, whatever it does; its own problems are declared where it is mapped.
        var api = app.MapGroup("")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapLockEndpoints();
        api.MapSemaphoreEndpoints();
        api.MapElectionEndpoints();
        api.MapIdEndpoints();
        app.MapOpenApi();
        app.MapMetrics("/metrics");
        return app;
    }

    private static List<IReadinessCheck> ReadinessChecks(LockBackendRegistry registry, IdServices ids)
    {
        var checks = registry.Backends.Select(b => (IReadinessCheck)new LockBackendReadinessCheck(b)).ToList();
        checks.Add(new SnowflakeReadinessCheck(ids));
        if (ids.SegmentsFromPostgres)
            checks.Add(new SegmentStoreReadinessCheck(ids));
        return checks;
    }

    private static string StartupLine(LockBackendRegistry registry, IdServices ids, IReadOnlyList<string> addresses, int keyCount)
    {
        var where = string.Join(", ", addresses);
        var locks = string.Join(", ", registry.Backends.Select(b => b.Name == registry.DefaultName ? $"{b.Name} ({b.Type}, default)" : $"{b.Name} ({b.Type})"));
        var security = keyCount > 0 ? $"{keyCount} API key(s) required" : "no API keys (loopback only)";
        return registry.IsDevMode
            ? $"Coord service in DEV MODE (nothing configured): in-memory locks; {ids.Summary}; listening on {where}; {security}. Configure Coord:Locks:Backends for real backends."
            : $"Coord service: lock backends {locks}; ids: {ids.Summary}; listening on {where}; {security}.";
    }

    private static List<string> ReadApiKeys(IConfiguration configuration)
    {
        var section = configuration.GetSection(ApiKeysSection);
        var keys = section.GetChildren().Select(c => c.Value).Where(v => v is not null).Cast<string>().ToList();
        if (keys.Count == 0 && !string.IsNullOrEmpty(section.Value))
            keys = [.. section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        foreach (var key in keys)
        {
            if (key.Length < MinimumApiKeyLength || key.Any(char.IsWhiteSpace))
                throw new ArgumentException($"Every API key in {ApiKeysSection} must be at least {MinimumApiKeyLength} characters without spaces; one has {key.Length}.");
        }
        return keys;
    }

    // Kestrel enforces the limit while reading; answering from Content-Length first gives the client a
    // proper 413 instead of the 400 that model binding reports for a body cut short.
    // Not async itself: every request passes here, and a request within the limit should cost no state machine.
    private static Func<HttpContext, RequestDelegate, Task> RejectOversizedBodies(ServiceLimits limits) => (http, next) =>
        http.Request.ContentLength > limits.MaxRequestBodyBytes ? RejectOversizedAsync(http, limits) : next(http);

    private static async Task RejectOversizedAsync(HttpContext http, ServiceLimits limits)
    {
        http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = Problems.Details(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BodyTooLarge,
                $"The request body has {http.Request.ContentLength} bytes; at most {limits.MaxRequestBodyBytes} are accepted."),
        });
    }
}
