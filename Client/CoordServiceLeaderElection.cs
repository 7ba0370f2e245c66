using Coord.Client.Internal;
using Coord.Locks;
using Microsoft.Extensions.Logging;

namespace Coord.Client;

/// <summary>
/// <see cref="ILeaderElection"/> over the Coord REST service (<c>/v1/elections/{name}</c>), with the same contract as an
/// election backend in process: a leadership is the shared self-renewing handle (renewed with PUT, resigned on dispose),
/// campaigns longer than the service waits in one request ask again, and <see cref="ILeaderElection.ObserveAsync"/>
/// reads the service's server-sent events. The service's backend must serve elections (inmemory, etcd).
/// </summary>
public sealed class CoordServiceLeaderElection : LeaderElectionProvider
{
    /// <summary>How often the service is asked to show an observation is alive while nothing changes.</summary>
    public static readonly TimeSpan ObserveKeepAlive = TimeSpan.FromSeconds(15);

    private readonly CoordClientOptions _options;
    private readonly ServiceApi _api;
    private readonly ServiceHolds _holds;

    internal CoordServiceLeaderElection(ServiceApi api, CoordClientOptions options, ILogger? logger)
        : base(options, logger)
    {
        _options = options;
        _api = api;
        _holds = new ServiceHolds(api, ServiceApi.ElectionRoute, options, Metrics, Time);
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
    protected override Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
        => _holds.AcquireAsync(request, maxCount: null, onReply: null, cancellationToken, campaignValue: value);

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _holds.RenewAsync(election, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
        => _holds.ReleaseAsync(election, holderToken, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always: the service has no proclaim route yet.</exception>
    protected override Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
        => throw new NotSupportedException($"Election '{election}': the Coord service has no proclaim route yet; resign and campaign again with the new value.");

    /// <inheritdoc/>
    protected override Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
        => ServiceHolds.Call(() => _api.LeaderAsync(election, cancellationToken));

    /// <inheritdoc/>
    protected override IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, CancellationToken cancellationToken)
        => _api.ObserveAsync(election, ObserveKeepAlive, cancellationToken);
}
