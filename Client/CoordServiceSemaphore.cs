using Coord.Client.Internal;
using Coord.Locks;
using Microsoft.Extensions.Logging;

namespace Coord.Client;

/// <summary>
/// <see cref="ISemaphore"/> over the Coord REST service (<c>/v1/semaphores/{name}</c>), with the same contract as a
/// semaphore backend in process: a permit is the shared self-renewing handle, released on dispose; waits longer
/// than the service grants one request ask again. The service's backend must serve semaphores (inmemory, redis).
/// </summary>
public sealed class CoordServiceSemaphore : SemaphoreProvider
{
    private readonly CoordClientOptions _options;
    private readonly ServiceHolds _holds;

    internal CoordServiceSemaphore(ServiceApi api, CoordClientOptions options, ILogger? logger)
        : base(options, logger)
    {
        _options = options;
        _holds = new ServiceHolds(api, ServiceApi.SemaphoreRoute, options, Metrics, Time);
        Endpoint = options.Backend is null ? api.BaseAddress.ToString() : $"{api.BaseAddress} (backend {options.Backend})";
    }

    /// <inheritdoc/>
    public override string Backend => "coord-service";

    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <inheritdoc/>
    public override TimeSpan MinimumTtl => _options.MinTtl;

    /// <inheritdoc/>
    public override TimeSpan MaximumTtl => _options.MaxTtl;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => _holds.AcquireAsync(request, request.MaxHolders, reply =>
        {
            if (reply.ActiveMaxCount is { } active)
                throw new SemaphoreCountMismatchException(request.Name, Backend, Endpoint, request.MaxHolders, active);
        }, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _holds.RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => _holds.ReleaseAsync(name, holderToken, cancellationToken);
}
