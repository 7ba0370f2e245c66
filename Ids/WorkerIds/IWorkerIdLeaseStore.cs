using Microsoft.Extensions.Logging;

namespace Coord.Ids.WorkerIds;

/// <summary>What <see cref="RenewingWorkerIdLease"/> needs from a backend: renew and release one worker id's lease.</summary>
internal interface IWorkerIdLeaseStore
{
    TimeSpan LeaseDuration { get; }
    TimeProvider Time { get; }
    ILogger Logger { get; }
    string Description { get; }

    /// <summary>Extends the lease and raises the stored timestamp to at least <paramref name="reserveUnixMs"/>; false when the id is no longer ours.</summary>
    Task<bool> RenewAsync(int workerId, Guid owner, long reserveUnixMs, CancellationToken cancellationToken);

    /// <summary>Frees the id, replacing the reservation by the exact last issued timestamp.</summary>
    Task ReleaseAsync(int workerId, Guid owner, long lastIssuedUnixMs, CancellationToken cancellationToken);
}
