using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Reader-writer locks on a ZooKeeper ensemble in the node layout of Apache Curator's InterProcessReadWriteLock
/// (<see cref="ZooKeeperReaderWriterPaths"/>), so a Java service using Curator on the path
/// <c>&lt;Root&gt;/&lt;encoded name&gt;</c> and Coord exclude each other: a Curator writer keeps Coord's readers and
/// writers out, and the other way round. Fencing token = the czxid of the hold's node.
/// </summary>
/// <remarks>
/// <para>
/// <b>The line.</b> Every acquire creates one ephemeral sequential node under the name's node, readers and writers
/// in one sequence. A writer holds when its node is the lowest; otherwise it watches its immediate predecessor. A
/// reader holds when no writer's node is below its own; otherwise it watches the last writer below it (Curator's
/// reader watches the first: either is correct, and the last wakes a reader once rather than once per writer ahead).
/// So the line is first come, first served: readers in a row share the name, and a reader that arrives behind a
/// waiting writer waits for it.
/// </para>
/// <para>
/// <b>Waking.</b> The wait is the lock's (<see cref="ZooKeeperQueueNode"/>): a waiter watches with <c>getData</c> the one
/// node that keeps it out, and a holder's release marks its node and deletes it in one multi, so a waiter that sees a
/// writer it watched released holds without reading the line again; any other change makes it read the line again.
/// </para>
/// <para>
/// <b>Fencing.</b> Nodes are admitted in sequence order (a later reader waits for every writer an earlier one waits for,
/// a writer for everything before it), and czxids rise with sequence numbers under one parent, so tokens rise with
/// every grant of the name, reads and writes alike.
/// </para>
/// <para>
/// <b>Sessions and TTL.</b> As for <see cref="ZooKeeperLock"/>: holds live on the provider's long-lived sessions; this
/// process keeps each hold's TTL (deleting the node of a hold nobody renewed) and a crashed process's holds end when
/// the server expires its session. Release by holder token works from any client; renewal only from the client that
/// acquired the hold. Curator's reentrancy (its write-lock holder may also take read locks) has no counterpart: Coord's
/// holds are not reentrant.
/// </para>
/// </remarks>
public sealed class ZooKeeperReaderWriterLock : ReaderWriterLockProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable ensemble shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Ensemble, root path and session settings, as for <see cref="ZooKeeperLock"/>; validated here. Reader-writer lock <c>n</c> lives at <c>&lt;Root&gt;/&lt;encoded n&gt;</c>, beside a lock and a semaphore of that name without touching them.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public ZooKeeperReaderWriterLock(ZooKeeperLockOptions options, ILogger<ZooKeeperReaderWriterLock>? logger = null)
        : base(options, logger, ZooKeeperHoldEngine.Backend, provider => new ZooKeeperReaderWriterEngine(options, provider))
    {
    }

    /// <summary>The path a Curator client passes to InterProcessReadWriteLock to share the reader-writer lock <paramref name="name"/>.</summary>
    /// <param name="root">The root path, as <see cref="ZooKeeperLockOptions.Root"/>.</param>
    /// <param name="name">The reader-writer lock name.</param>
    /// <returns><c>&lt;root&gt;/&lt;encoded name&gt;</c>.</returns>
    public static string CuratorPathOf(string root, string name) => new ZooKeeperReaderWriterPaths(root, name, "-").Parent;
}
