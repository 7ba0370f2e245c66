namespace Coord.Stress.Targets;

/// <summary>An implementation of a reader-writer lock or an election on concrete servers; makes clients of type <typeparamref name="TClient"/>.</summary>
public abstract class PrimitiveTarget<TClient>(string name, string library, bool isPeer) : IAsyncDisposable
    where TClient : IAsyncDisposable
{
    /// <summary>Short name used on the command line and in reports, e.g. <c>redis</c>, <c>dlock-redis-rw</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Which library implements it, e.g. <c>Coord</c> or <c>Apache Curator LeaderLatch</c>.</summary>
    public string Library { get; } = library;

    public bool IsPeer { get; } = isPeer;

    /// <summary>A client with its own connection or session, as a separate process would have.</summary>
    public abstract Task<TClient> CreateClientAsync(CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
