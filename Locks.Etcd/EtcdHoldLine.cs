namespace Coord.Locks.Etcd;

/// <summary>
/// A line of keys (<see cref="EtcdLine"/>) as the engine of an etcd primitive whose holds are a lock's holds with another
/// admission rule (<see cref="EtcdSemaphore"/>, <see cref="EtcdReaderWriterLock"/>): each acquire tracks its place in
/// line, so an acquire that ends without a grant gives that place up through the line.
/// </summary>
internal abstract class EtcdHoldLine : EtcdLine, IHoldEngine
{
    /// <summary>The backend name of every etcd primitive.</summary>
    public const string Backend = "etcd";

    /// <param name="options">The provider's validated options.</param>
    /// <param name="provider">The provider's metrics (every request is counted there) and logger.</param>
    protected EtcdHoldLine(EtcdLockOptions options, HoldEngineServices provider)
        : base(options, string.Join(",", options.Endpoints), provider.Metrics, provider.Logger)
    {
    }

    string IHoldEngine.Endpoint => Endpoint;

    // Every etcd request is bounded by the connection (attempt timeout, ConnectTimeout), and waiters stop at their wait.
    bool IHoldEngine.BoundsEveryCall => true;

    Task<LockGrant?> IHoldEngine.AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        Track(request);
        return AcquireAsync(request, cancellationToken);
    }
}
