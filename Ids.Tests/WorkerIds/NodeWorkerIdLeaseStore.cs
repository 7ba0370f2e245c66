using Coord.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>A lease store on one throwaway server process, cut off by pausing it (SIGSTOP).</summary>
public abstract class NodeWorkerIdLeaseStore<TNode> : WorkerIdLeaseStore
    where TNode : ServerNode
{
    protected TNode Server { get; private set; } = null!;

    protected abstract Task<TNode> StartAsync();

    public override async Task InitializeAsync() => Server = await StartAsync();

    public override async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }

    public override IDisposable CutOff()
    {
        Server.Pause();
        return new Resumer(Server);
    }

    private sealed class Resumer(ServerNode node) : IDisposable
    {
        public void Dispose()
        {
            if (node.IsPaused)
                node.Resume();
        }
    }
}
