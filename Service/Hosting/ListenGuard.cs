using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Coord.Service.Hosting;

/// <summary>
/// Refuses to run without API keys on any address reachable from other machines. It checks what the
/// server actually bound once it has started, not what the configuration seemed to say: URLs, ports,
/// <c>Kestrel:Endpoints</c> and <c>preferHostingUrls</c> combine in ways only the server resolves.
/// Until the check has passed, <see cref="Gate"/> answers every request with 503, so nothing is served
/// from an address that is about to be refused.
/// </summary>
public sealed class ListenGuard(IServer server, bool apiKeysRequired, Func<IReadOnlyList<string>, string> startupLine, ILoggerFactory loggers)
    : IHostedLifecycleService
{
    private volatile bool _checked;

    /// <summary>The addresses the server listens on, once started.</summary>
    public IReadOnlyList<string> BoundAddresses { get; private set; } = [];

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        if (!apiKeysRequired && BindingGuard.FirstNonLoopback(addresses) is { } exposed)
        {
            await server.StopAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException(
                $"Refusing to listen on {exposed} without API keys: anyone who can reach it could take and release locks. " +
                $"Configure at least one key in {CoordServiceApp.ApiKeysSection} (for example the environment variable Coord__ApiKeys__0=<a secret of {CoordServiceApp.MinimumApiKeyLength}+ characters>), " +
                "or listen on loopback only (for example --urls http://127.0.0.1:5080).");
        }
        BoundAddresses = addresses;
        _checked = true;
        loggers.CreateLogger(typeof(CoordServiceApp).Namespace!).LogInformation("{Startup}", startupLine(addresses));
    }

    /// <summary>First in the pipeline: nothing is answered before the bound addresses were checked.</summary>
    public Task Gate(HttpContext http, RequestDelegate next)
    {
        if (_checked)
            return next(http);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
