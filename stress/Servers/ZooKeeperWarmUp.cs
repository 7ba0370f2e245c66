using Coord.Locks.ZooKeeper;

namespace Coord.Stress.Servers;

/// <summary>
/// Brings a freshly started ZooKeeper to its steady rate before anything is measured: a new server (a JVM
/// compiling its hot paths, a transaction log just created) stalls now and then in its first seconds, and
/// the target measured first would carry those stalls as its longest waits.
/// </summary>
public static class ZooKeeperWarmUp
{
    /// <summary>Takes and releases one lock with <paramref name="options"/> until the rate is steady (see <see cref="SteadyRate"/>); returns that rate per second.</summary>
    /// <param name="options">A root of the warm-up's own: only the server is warmed here; lock targets measure on roots of their own.</param>
    public static async Task<double> RunAsync(ZooKeeperLockOptions options, CancellationToken cancellationToken)
    {
        await using var locks = new ZooKeeperLock(options);
        return await SteadyRate.ReachAsync(async ct =>
        {
            await using var held = await locks.AcquireAsync("warm-up", TimeSpan.FromSeconds(5), cancellationToken: ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
