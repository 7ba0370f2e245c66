namespace Coord.Stress.Targets.Curator;

/// <summary>What the Curator reader-writer lock and leader latch targets share: one driver process, a root path, client numbers.</summary>
public abstract class CuratorDriverTarget<TClient> : PrimitiveTarget<TClient>
    where TClient : IAsyncDisposable
{
    private int _nextClient;

    private protected CuratorDriverTarget(CuratorDriverProcess driver, string root, string name, string library)
        : base(name, library, isPeer: true)
    {
        Driver = driver;
        Root = root;
    }

    private protected CuratorDriverProcess Driver { get; }

    /// <summary>The driver's id for the next client (one CuratorFramework and session each).</summary>
    private protected int NextClient() => Interlocked.Increment(ref _nextClient);

    /// <summary>The ZooKeeper path of a lock or election name under the target's root.</summary>
    private protected string PathOf(string name) => $"{Root}/{name.Replace('/', '_')}";

    private string Root { get; }

    public override async ValueTask DisposeAsync()
    {
        await Driver.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
