namespace Coord.Service.Health;

/// <summary>
/// Runs every readiness check once when the service has started, so that connections are made before
/// the first request (a RedLock acquire that must first connect to three masters can spend its whole
/// short lease doing so) and a backend that cannot be reached is logged at once.
/// </summary>
public sealed class BackendWarmUp(IEnumerable<IReadinessCheck> checks, IHostApplicationLifetime lifetime, ILogger<BackendWarmUp> logger) : IHostedService
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(WarmUpAsync, CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WarmUpAsync()
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        stopping.CancelAfter(Bound);
        await Task.WhenAll(checks.Select(async check =>
        {
            try
            {
                await check.CheckAsync(stopping.Token);
            }
            catch (Exception ex) when (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                logger.LogWarning("{Check} did not answer at start-up: {Error}. /readyz reports it until it does.", check.Name, ex.Message);
            }
            catch (OperationCanceledException)
            {
                // Shutting down.
            }
        }));
    }
}
