namespace Coord.Ids.WorkerIds;

/// <summary>
/// A worker id held exclusively for as long as the lease lives. The store keeps the last timestamp
/// issued under the id, so the next owner can tell whether its clock is behind it.
/// </summary>
public abstract class WorkerIdLease : IAsyncDisposable
{
    private Func<long>? _lastIssuedUnixMs;

    /// <summary>The leased worker id, from 0 to the <c>maxWorkerId</c> it was leased with.</summary>
    public abstract int WorkerId { get; }

    /// <summary>Unix ms of the last timestamp the store recorded for this worker id when the lease was taken (0 if none).</summary>
    public abstract long LastIssuedUnixMs { get; }

    /// <summary>Fires once this process can no longer be sure it holds the id; stop issuing ids then.</summary>
    public abstract CancellationToken Lost { get; }

    /// <summary>Gives the lease the generator's last issued timestamp (Unix ms) to persist on renewal and release.</summary>
    public void Track(Func<long> lastIssuedUnixMs) => _lastIssuedUnixMs = lastIssuedUnixMs;

    /// <summary>The timestamp to persist now, or null when nothing tracks one.</summary>
    protected long? CurrentLastIssuedUnixMs => _lastIssuedUnixMs?.Invoke();

    /// <summary>Releases the id, storing the last issued timestamp.</summary>
    public abstract ValueTask DisposeAsync();
}
