using Microsoft.Extensions.Logging;

namespace Coord.Ids.WorkerIds;

/// <summary>One worker id held through an etcd lease of its own; disposing it revokes that lease.</summary>
internal sealed class EtcdWorkerIdHold(EtcdWorkerIdLeaser leaser, long leaseId, long createRevision) : IWorkerIdLeaseStore, IAsyncDisposable
{
    public TimeSpan LeaseDuration => leaser.LeaseDuration;
    public TimeProvider Time => leaser.Time;
    public ILogger Logger => leaser.Logger;
    public string Description => leaser.Description;

    public async Task<bool> RenewAsync(int workerId, Guid owner, long reserveUnixMs, CancellationToken cancellationToken)
        => await leaser.KeepAliveAsync(leaseId, cancellationToken).ConfigureAwait(false)
           && await leaser.RaiseLastAsync(workerId, createRevision, reserveUnixMs, cancellationToken).ConfigureAwait(false) is not null;

    public Task ReleaseAsync(int workerId, Guid owner, long lastIssuedUnixMs, CancellationToken cancellationToken)
        => leaser.ReleaseAsync(workerId, createRevision, lastIssuedUnixMs, cancellationToken);

    public ValueTask DisposeAsync() => new(leaser.RevokeQuietlyAsync(leaseId));
}
