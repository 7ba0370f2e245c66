using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Semaphores on a ZooKeeper ensemble in the node layout of Apache Curator's InterProcessSemaphoreV2
/// (<see cref="ZooKeeperSemaphorePaths"/>), so a Java service using Curator on the path
/// <c>&lt;Root&gt;/&lt;encoded name&gt;</c> with the same count shares the permits with Coord: together
/// never more than the count. Fencing token = the czxid of the permit's lease node.
/// </summary>
/// <remarks>
/// <para>
/// <b>The line.</b> An acquire queues in <c>locks/</c> (a mutex with InterProcessMutex's node names,
/// each waiter watching only its predecessor). Only the first in line may add a lease: it creates its
/// ephemeral sequential node in <c>leases/</c> and holds once <c>leases/</c> has at most max-count
/// children, watching the children until then; then it leaves the line, and the next may add its lease.
/// So permits go out in the order of the line (first come, first served; a releaser that asks again
/// queues at the back), and since every lease is added by the first in line after the one before it
/// was granted, lease czxids rise with every grant of the name.
/// </para>
/// <para>
/// <b>Max count.</b> Curator keeps no count on the server; Coord writes its count into its node names
/// (<c>_c_&lt;guid&gt;-max&lt;N&gt;-…</c>). An acquire that finds a permit, or a waiter ahead of it in
/// line, with another count throws <see cref="SemaphoreCountMismatchException"/>. Curator's nodes carry
/// no count and are not checked: a Curator client must be configured with the same count.
/// </para>
/// <para>
/// <b>Sessions and TTL.</b> As for <see cref="ZooKeeperLock"/>: permits live on the provider's long-lived
/// sessions; this process keeps each permit's TTL (deleting the lease of a permit nobody renewed) and a
/// crashed process's permits end when the server expires its session. Release by holder token works from
/// any client; renewal only from the client that acquired the permit.
/// </para>
/// </remarks>
public sealed class ZooKeeperSemaphore : SemaphoreProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable ensemble shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Ensemble, root path and session settings, as for <see cref="ZooKeeperLock"/>; validated here. Semaphore <c>n</c> lives at <c>&lt;Root&gt;/&lt;encoded n&gt;</c>, beside a lock of that name without touching it.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public ZooKeeperSemaphore(ZooKeeperLockOptions options, ILogger<ZooKeeperSemaphore>? logger = null)
        : base(options, logger, ZooKeeperHoldEngine.Backend, provider => new ZooKeeperSemaphoreEngine(options, provider))
    {
    }
}
