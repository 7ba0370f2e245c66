namespace Coord.Locks;

/// <summary>
/// A backend's calls for holds that are a lock's holds with another admission rule (semaphore permits, reader and
/// writer holds), by holder token: what a <see cref="SemaphoreProvider"/> or <see cref="ReaderWriterLockProvider"/>
/// built on an engine forwards to, so that the backend's provider class is only its constructor. The engine reads
/// <see cref="LockRequest.MaxHolders"/> and <see cref="LockRequest.IsShared"/> from each acquire; what kind of
/// primitive its keys, tables or nodes belong to it was told when it was built.
/// </summary>
internal interface IHoldEngine : IAsyncDisposable
{
    /// <summary>Where the backend lives, for error messages (host:port list, data source).</summary>
    string Endpoint { get; }

    /// <summary>True when the backend bounds every call itself (see <see cref="LockProvider"/>'s <c>BoundsEveryCall</c>).</summary>
    bool BoundsEveryCall { get; }

    /// <summary>Shortest TTL the backend can honour.</summary>
    TimeSpan MinimumTtl => LockOptions.MinimumTtl;

    /// <summary>
    /// Gets a hold for <paramref name="request"/>, first come, first served, waiting by notification while
    /// <see cref="LockRequest.WaitExpired"/> is false; null when the wait ran out. An acquire that ends without a grant is
    /// abandoned through <see cref="LockRequest.Attempt"/> when the engine set one, else by a release of its holder token.
    /// </summary>
    Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the hold if <paramref name="holderToken"/> still holds <paramref name="name"/>; false otherwise, changing nothing.</summary>
    Task<bool> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Releases the hold of <paramref name="holderToken"/> (handing what it frees to the longest waiters); false when it holds none.</summary>
    Task<bool> ReleaseAsync(string name, string holderToken, CancellationToken cancellationToken);
}
