namespace Coord.Ids.WorkerIds;

/// <summary>Every worker id of the pool is held by a live lease: nothing to lease until one is released or expires.</summary>
public sealed class WorkerIdsExhaustedException : InvalidOperationException
{
    /// <summary>Creates the exception for a full pool.</summary>
    /// <param name="count">How many worker ids the layout allows.</param>
    /// <param name="pool">The pool's name.</param>
    /// <param name="store">The leaser's description.</param>
    public WorkerIdsExhaustedException(int count, string pool, string store)
        : base($"All {count} worker ids of pool '{pool}' on {store} are leased by live generators; " +
               "stop one, wait for a dead one's lease to expire, or use a layout with more worker bits.")
    {
        Count = count;
        Pool = pool;
        Store = store;
    }

    /// <summary>How many worker ids the layout allows (all of them taken).</summary>
    public int Count { get; }

    /// <summary>The pool whose ids are all leased.</summary>
    public string Pool { get; }

    /// <summary>The leaser's description, for messages.</summary>
    public string Store { get; }
}
