using System.Net;
using System.Net.Http.Headers;
using Coord.Locks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace Coord.Client;

/// <summary>
/// <c>services.AddCoordClient(o =&gt; { o.BaseAddress = ...; o.ApiKey = ...; })</c>: a named
/// <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> with the API key, bounded retries of safe
/// requests only, and a singleton <see cref="CoordClient"/>; its <see cref="CoordClient.Locks"/> is also the
/// <see cref="ILock"/> unless one is registered already.
/// </summary>
public static class CoordClientServiceCollectionExtensions
{
    /// <summary>Name of the <see cref="HttpClient"/> the client is built on (configure it further with <c>AddHttpClient(HttpClientName)</c>).</summary>
    public const string HttpClientName = "Coord.Client";

    public static IServiceCollection AddCoordClient(this IServiceCollection services, Action<CoordClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        // Validated now, so that a bad setting stops start-up instead of the first lock.
        var settings = new CoordClientOptions();
        configure(settings);
        settings.Validate();

        var builder = services.AddHttpClient(HttpClientName, http =>
            {
                http.BaseAddress = WithTrailingSlash(settings.BaseAddress!);
                // Each call has its own bound (its wait plus ConnectTimeout); a global one would cut long waits short.
                http.Timeout = Timeout.InfiniteTimeSpan;
                if (settings.ApiKey is not null)
                    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                ConnectTimeout = settings.ConnectTimeout,
                // The client lives as long as the process; this makes it see DNS changes all the same.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // Authorization and Coord-Holder-Token are secrets: no header value reaches a log.
            .RedactLoggedHeaders(_ => true);
        if (settings.MaxRetries > 0)
            builder.AddResilienceHandler("coord-retry", pipeline => pipeline.AddRetry(RetryOptions(settings)));

        services.TryAddSingleton(sp =>
        {
            var options = new CoordClientOptions();
            if (sp.GetService<TimeProvider>() is { } time)
                options.TimeProvider = time;
            configure(options);
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            return new CoordClient(http, options, sp.GetService<ILoggerFactory>());
        });
        services.TryAddSingleton<ILock>(sp => sp.GetRequiredService<CoordClient>().Locks);
        return services;
    }

    /// <summary>
    /// Retries only what is safe to send twice: GET (status, ids), PUT (renew by token) and DELETE (release by
    /// token), after 503, 429 or no answer at all; never POST (acquire), whose repeat could grant a second hold.
    /// </summary>
    private static HttpRetryStrategyOptions RetryOptions(CoordClientOptions settings) => new()
    {
        MaxRetryAttempts = settings.MaxRetries,
        Delay = settings.RetryDelay,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        ShouldRetryAfterHeader = true,
        ShouldHandle = args =>
        {
            var method = args.Context.GetRequestMessage()?.Method;
            if (method is null || method == HttpMethod.Post)
                return ValueTask.FromResult(false);
            var retry = args.Outcome switch
            {
                { Exception: HttpRequestException } => true,
                { Result.StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests } => true,
                _ => false,
            };
            return ValueTask.FromResult(retry);
        },
    };

    private static Uri WithTrailingSlash(Uri address)
        => address.AbsolutePath.EndsWith('/') ? address : new Uri(address + "/");
}
