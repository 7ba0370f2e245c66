namespace Coord.Ids.WorkerIds;

/// <summary>
/// Hands out Snowflake worker ids so that two live generators of one pool never hold the same id.
/// Every backend keeps, per worker id, the last timestamp issued under it (a reservation while the
/// lease lives), so the next owner can tell whether its clock is behind.
/// </summary>
public interface IWorkerIdLeaser : IAsyncDisposable
{
    /// <summary>Where the leases live (backend and endpoint), for messages.</summary>
    string Description { get; }

    /// <summary>
    /// Leases a free worker id in 0..<paramref name="maxWorkerId"/>. Throws
    /// <see cref="InvalidOperationException"/> when every id is held by a live lease.
    /// </summary>
    Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default);
}
