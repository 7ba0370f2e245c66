using Coord.Client.Internal;
using Coord.Locks;
using Microsoft.Extensions.Logging;

namespace Coord.Client;

/// <summary>
/// <see cref="ILock"/> over the Coord REST service, with the same contract as a backend in process: the
/// shared handle renews every TTL/3, fires <see cref="ILockHandle.Lost"/> at its validity deadline and
/// releases on dispose. Waits longer than the service grants one request (30 s) ask again.
/// </summary>
/// <remarks>
/// Acquire is never sent twice by the client itself: the service issues the holder token, so a repeated
/// POST after a lost answer could grant a second hold that nobody knows the token of.
/// </remarks>
public sealed class CoordServiceLock : LockProvider
{
    private readonly ServiceApi _api;
    private readonly CoordClientOptions _options;
    private readonly ServiceHolds _holds;

    private readonly IAsyncDisposable? _connections;

    /// <param name="connections">What owns this client's connections when nothing else does (a client made by <see cref="CoordClient.Create"/>): closed after the last hold is released.</param>
    internal CoordServiceLock(ServiceApi api, CoordClientOptions options, ILogger? logger, IAsyncDisposable? connections)
        : base(options, logger)
    {
        _api = api;
        _options = options;
        _connections = connections;
        _holds = new ServiceHolds(api, ServiceApi.LockRoute, options, Metrics, Time);
        Endpoint = options.Backend is null ? api.BaseAddress.ToString() : $"{api.BaseAddress} (backend {options.Backend})";
    }

    public override string Backend => "coord-service";
    public override string Endpoint { get; }
    public override TimeSpan MinimumTtl => _options.MinTtl;
    public override TimeSpan MaximumTtl => _options.MaxTtl;

    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => _holds.AcquireAsync(request, maxCount: null, onReply: null, cancellationToken);

    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _holds.RenewAsync(name, holderToken, ttl, cancellationToken);

    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => _holds.ReleaseAsync(name, holderToken, cancellationToken);

    protected override Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        Metrics.Request("status");
        return ServiceHolds.Call(() => _api.StatusAsync(name, cancellationToken));
    }

    protected override ValueTask DisposeCoreAsync() => _connections?.DisposeAsync() ?? ValueTask.CompletedTask;
}
