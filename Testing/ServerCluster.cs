namespace Coord.Testing;

/// <summary>Members of one replicated server (etcd cluster, ZooKeeper ensemble) and how to find their leader.</summary>
public abstract class ServerCluster<TNode> : IAsyncDisposable where TNode : ServerNode
{
    protected ServerCluster(IReadOnlyList<TNode> nodes) => Nodes = nodes;

    public IReadOnlyList<TNode> Nodes { get; }

    /// <summary>Whether <paramref name="node"/> says it leads; throws when it cannot be asked.</summary>
    protected abstract Task<bool> IsLeaderAsync(TNode node, CancellationToken cancellationToken);

    /// <summary>Launches every member, then waits for all: members answer only once a quorum has formed.</summary>
    protected async Task StartMembersAsync(Func<TNode, CancellationToken, Task> launch, Func<TNode, CancellationToken, Task> waitUntilReady, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var node in Nodes)
                await launch(node, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(Nodes.Select(n => waitUntilReady(n, cancellationToken))).ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The member that leads now, asking every running member; waits through an election.</summary>
    public async Task<TNode> FindLeaderAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            foreach (var node in Nodes.Where(n => n.IsRunning && !n.IsPaused))
            {
                try
                {
                    if (await IsLeaderAsync(node, cancellationToken).ConfigureAwait(false))
                        return node;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // That member is down or between elections.
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No member of {string.Join(", ", Nodes)} leads.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            await node.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
