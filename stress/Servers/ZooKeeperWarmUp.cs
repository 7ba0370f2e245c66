using Coord.Locks.ZooKeeper;

namespace Coord.Stress.Servers;

/// <summary>
/// Brings a freshly started ZooKeeper to its steady rate before anything is measured: a new server (a JVM
/// compiling its hot paths, a transaction log just created) stalls now and then in its first seconds, and
/// the target measured first would carry those stalls as its longest waits.
/// </summary>
public static class ZooKeeperWarmUp
{
    /// <summary>Takes and releases one lock under <c>/coord-stress-warm-up</c> until the rate is steady (see <see cref="SteadyRate"/>); returns that rate per second.</summary>
    public static async Task<double> RunAsync(string connectString, CancellationToken cancellationToken)
    {
        // Only the server is warmed here; lock targets measure on roots of their own.
        await using var locks = new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = connectString, Root = "/coord-stress-warm-up", MinimumSessionTimeout = Coord.Testing.ZooKeeperNode.MinimumSessionTimeout });
        return await SteadyRate.ReachAsync(async ct =>
        {
            await using var held = await locks.AcquireAsync("warm-up", TimeSpan.FromSeconds(5), cancellationToken: ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
