using System.Collections.Concurrent;
using Coord.Locks;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// A Coord semaphore backend: every client is its own provider (own connection or session), made by
/// <paramref name="createSemaphore"/>, and every acquire asks for a permit of a name with
/// <paramref name="permits"/> permits. Request counts come from providers that expose
/// <see cref="SemaphoreProvider.Metrics"/> (all of Coord's); other <see cref="ISemaphore"/>s count none.
/// </summary>
public sealed class CoordSemaphoreTarget(
    string name,
    Func<ISemaphore> createSemaphore,
    int permits,
    IReadOnlyList<IServerCounter> serverCounters,
    bool supportsProcesses = true)
    : LockTarget(name, "Coord", isPeer: false, serverCounters)
{
    private readonly ConcurrentBag<ISemaphore> _semaphores = [];
    private bool? _supportsFencing;

    public override bool SupportsFencing => _supportsFencing ??= ProbeFencing();

    public override bool SupportsProcesses => supportsProcesses;

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var semaphore = createSemaphore();
        _semaphores.Add(semaphore);
        return Task.FromResult<ILockClient>(new Client(semaphore, permits));
    }

    public override IReadOnlyDictionary<string, long> ClientRequestCounts()
        => RequestCounts.Sum(_semaphores.OfType<SemaphoreProvider>().Select(s => s.Metrics));

    private bool ProbeFencing()
    {
        var probe = createSemaphore();
        var fencing = probe.SupportsFencing;
        probe.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return fencing;
    }

    private sealed class Client(ISemaphore semaphore, int permits) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var handle = await semaphore.TryAcquireAsync(name, permits, wait, ttl, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new HandleHold(handle);
        }

        // A provider's request counts stay readable after disposal, so the target can still sum them.
        public ValueTask DisposeAsync() => semaphore.DisposeAsync();
    }
}
