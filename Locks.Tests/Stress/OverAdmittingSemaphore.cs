namespace Coord.Locks.Tests.Stress;

/// <summary>
/// A deliberately broken semaphore for the stress runner's capacity check: every <paramref name="every"/>th
/// acquire takes a real permit of another name (<c>&lt;name&gt;/leak</c>) and hands it back as if it were one
/// of the name asked for, so the caller holds beside N others. Everything else goes to the real semaphore.
/// </summary>
internal sealed class OverAdmittingSemaphore(ISemaphore inner, int every) : ISemaphore
{
    private long _acquires;

    public string Backend => inner.Backend;
    public string Endpoint => inner.Endpoint;
    public bool SupportsFencing => inner.SupportsFencing;

    public Task<ILockHandle?> TryAcquireAsync(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => inner.TryAcquireAsync(Leak(name), maxCount, wait, ttl, cancellationToken);

    public Task<ILockHandle> AcquireAsync(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => inner.AcquireAsync(Leak(name), maxCount, wait, ttl, cancellationToken);

    public ILockHandle? TryAcquire(string name, int maxCount, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => inner.TryAcquire(Leak(name), maxCount, wait, ttl, cancellationToken);

    public ILockHandle Acquire(string name, int maxCount, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => inner.Acquire(Leak(name), maxCount, wait, ttl, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private string Leak(string name) => Interlocked.Increment(ref _acquires) % every == 0 ? name + "/leak" : name;
}
