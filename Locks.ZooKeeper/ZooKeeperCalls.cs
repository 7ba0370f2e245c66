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
    // What a holder's release writes to its node just before deleting it.
    private static readonly byte[] ReleasedMark = "released"u8.ToArray();

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

    /// <summary>
    /// Releases a held node; when <paramref name="markReleased"/>, in one multi that marks it released, then deletes
    /// it: a waiter watching it with <c>getData</c> sees the data change and knows the node held (so what it waited
    /// for is over) without reading the line again, while a plain delete (an abandoned wait, a crashed session, a
    /// Curator client) only wakes it to read again. If the reply is lost the release is sent again (NoNode then means
    /// it was applied); if the caller stops waiting the node still goes, in the background.
    /// </summary>
    public static async Task<bool> ReleaseHeldAsync(ZooKeeperHold hold, bool markReleased, LockMetrics metrics, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var client = hold.Session.Client;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                metrics.Request("release");
                if (markReleased)
                    await client.MultiAsync([ZooKeeperOperation.SetData(hold.NodePath, ReleasedMark), ZooKeeperOperation.Delete(hold.NodePath)], cancellationToken).ConfigureAwait(false);
                else
                    await client.DeleteAsync(hold.NodePath, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return attempt > 0;
            }
            catch (Exception ex) when (hold.Session.IsLost && ex is ZooKeeperException or ObjectDisposedException)
            {
                return false; // the session, and with it the node, is gone or going
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                logger.LogDebug(ex, "Releasing {Name} on ZooKeeper: the connection moved; sending the release again", hold.Name);
            }
            catch (OperationCanceledException)
            {
                // The caller stopped waiting; the node still goes, in the background.
                _ = DeleteUntilGoneAsync(hold.Session, hold.NodePath, metrics, time, logger);
                throw;
            }
        }
    }

    /// <summary>Deletes <paramref name="node"/> through <paramref name="session"/> (release by token from any client); false when it was already gone.</summary>
    public static async Task<bool> DeleteIfThereAsync(ZooKeeperSession session, string node, LockMetrics metrics, CancellationToken cancellationToken)
    {
        try
        {
            metrics.Request("release");
            await session.Client.DeleteAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return false;
        }
    }
}
