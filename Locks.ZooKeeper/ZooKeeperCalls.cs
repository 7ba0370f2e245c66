using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The ways of calling ZooKeeper that the lock and the semaphore share: which errors only mean the
/// connection is moving to another member, reads repeated across such a move, and deletes that must
/// happen for sure.
/// </summary>
internal static class ZooKeeperCalls
{
    /// <summary>The connection moved or the reply was lost: the request may or may not have been applied.</summary>
    public static bool IsTransient(ZooKeeperException ex) => ex.Code is ZooKeeperErrorCode.ConnectionLoss or ZooKeeperErrorCode.OperationTimeout;

    /// <summary>Marks a pipelined request's failure as seen when its result is no longer wanted.</summary>
    public static void Observe(Task task) => task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>The children of <paramref name="parent"/>, none when it does not exist (yet, or any more).</summary>
    public static async Task<IReadOnlyList<string>> ChildrenOrEmptyAsync(ZooKeeperClient client, string parent, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetChildrenAsync(parent, cancellationToken: cancellationToken).ConfigureAwait(false)).Children;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    /// <summary>Repeats an idempotent read while the session moves to another member.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                logger.LogDebug(ex, "ZooKeeper read failed while the connection moved; retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes a node of ours for sure: repeated across connection losses until it is gone or the session (and so the node) ends.</summary>
    public static async Task DeleteUntilGoneAsync(ZooKeeperSession session, string node, LockMetrics metrics, TimeProvider time, ILogger logger)
    {
        while (!session.IsLost)
        {
            try
            {
                metrics.Request("release");
                await session.Client.DeleteAsync(node, cancellationToken: session.Lost).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.SessionExpired)
            {
                return;
            }
            catch (Exception ex) when (ex is ZooKeeperException or OperationCanceledException or ObjectDisposedException)
            {
                if (session.IsLost)
                    return;
                logger.LogDebug(ex, "Deleting ZooKeeper node {Node} failed; trying again", node);
                await Task.Delay(TimeSpan.FromMilliseconds(50), time).ConfigureAwait(false);
            }
        }
    }
}
