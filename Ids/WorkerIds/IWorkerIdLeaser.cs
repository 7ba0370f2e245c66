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
    /// Leases a free worker id in 0..<paramref name="maxWorkerId"/>. The lease renews itself until disposed.
    /// </summary>
    /// <param name="maxWorkerId">Largest id to hand out, normally <see cref="Snowflake.SnowflakeLayout.MaxWorkerId"/>; 0 or more.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The lease; dispose it to free the id and store the last issued timestamp.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxWorkerId"/> is negative.</exception>
    /// <exception cref="WorkerIdsExhaustedException">Every id is held by a live lease.</exception>
    /// <exception cref="TimeoutException">The store did not answer within the leaser's command timeout. Other failures surface as the backend client's own exception.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The leaser was disposed.</exception>
    Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default);
}
