using Coord.Locks.ZooKeeper.Client;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// A provider's persistent root path and the container nodes below it, made when a create finds them
/// missing. The root is made once per provider (again only if it was deleted by hand); containers are
/// removed by the server once their last child is gone, so lock and semaphore names do not pile up.
/// </summary>
internal sealed class ZooKeeperRoot(string root)
{
    private volatile bool _ready;

    /// <summary>Makes the root when not yet seen, then each of <paramref name="containers"/> (parents first) that is missing.</summary>
    public async Task CreateAsync(ZooKeeperClient client, LockMetrics metrics, IEnumerable<string> containers, CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            var path = "";
            foreach (var segment in root.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                path += "/" + segment;
                await CreateIfMissingAsync(client, path, ZooKeeperCreateMode.Persistent, metrics, cancellationToken).ConfigureAwait(false);
            }
            _ready = true;
        }
        foreach (var container in containers)
            await CreateIfMissingAsync(client, container, ZooKeeperCreateMode.Container, metrics, cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateIfMissingAsync(ZooKeeperClient client, string path, ZooKeeperCreateMode mode, LockMetrics metrics, CancellationToken cancellationToken)
    {
        try
        {
            metrics.Request("prepare");
            await client.CreateAsync(path, [], mode, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            // The root went away under us (deleted by hand): build it again next time round.
            _ready = false;
        }
    }
}
