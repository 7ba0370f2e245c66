using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>
/// A lock implementation under test on concrete servers: makes clients, and says how to count the
/// requests it causes (its own client-side counters and the servers' counters).
/// </summary>
public abstract class LockTarget : IAsyncDisposable
{
    protected LockTarget(string name, string library, bool isPeer, IReadOnlyList<IServerCounter> serverCounters)
    {
        Name = name;
        Library = library;
        IsPeer = isPeer;
        ServerCounters = serverCounters;
    }

    /// <summary>Short name used on the command line and in reports, e.g. <c>redis</c>, <c>dlock-redis</c>.</summary>
    public string Name { get; }

    /// <summary>Which library implements it, e.g. <c>Coord</c> or <c>DistributedLock.Redis</c>.</summary>
    public string Library { get; }

    /// <summary>True for the third-party libraries Coord is compared with.</summary>
    public bool IsPeer { get; }

    public abstract bool SupportsFencing { get; }

    /// <summary>False where holds cannot be seen by another process (in-memory locks).</summary>
    public virtual bool SupportsProcesses => true;

    /// <summary>Server-side counters that move with this target's traffic (Redis commands, PostgreSQL commits).</summary>
    public IReadOnlyList<IServerCounter> ServerCounters { get; }

    public abstract Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken);

    /// <summary>Requests the clients made so far counted by the library itself, by operation; empty where the library does not count.</summary>
    public virtual IReadOnlyDictionary<string, long> ClientRequestCounts() => new Dictionary<string, long>();

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        foreach (var counter in ServerCounters)
            await counter.DisposeAsync().ConfigureAwait(false);
        await DisposeCoreAsync().ConfigureAwait(false);
    }

    /// <summary>Releases what the target itself owns (a service process it started), after the counters.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
}
