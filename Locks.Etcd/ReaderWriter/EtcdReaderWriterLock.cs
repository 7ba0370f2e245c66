using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// Reader-writer locks on an etcd cluster in the key layout of etcd's <c>recipes.RWMutex</c>
/// (<see cref="EtcdReaderWriterKeys"/>), so a Go service using that recipe on the same mutex name excludes with
/// Coord. Every read or write hold puts one key in the name's line, on the provider's session lease; a reader holds
/// once no writer key created before its own is left, a writer once no key at all created before its own is left.
/// A hold's fencing token is its key's create revision.
/// </summary>
/// <remarks>
/// <para>
/// The machinery is the etcd lock's and semaphore's (<see cref="EtcdLine"/>): long-lived sessions (one lease and one
/// keep-alive stream per provider and TTL, shared by every hold), one watch of the name's line per provider shared by
/// its waiters, and a waiter that knows its turn from the DELETE events alone: it read, when it put its key, every
/// key ahead of it that keeps it out (writers for a reader, everything for a writer), and holds once none of those
/// is left. Keys created later sort after it, so nothing can join them. A hold that stops being renewed has its key
/// deleted by its process at its deadline; a crashed process loses its holds when etcd expires its session lease.
/// </para>
/// <para>
/// This is one first-come, first-served line: a writer waits for everyone before it, a reader only for the writers
/// before it, so readers in a row share the name and a reader that arrives behind a waiting writer waits for that
/// writer: a stream of readers cannot starve writers.
/// </para>
/// <para>
/// Fencing tokens rise with every grant of a name, reads and writes alike: a key created later is admitted no
/// earlier (a later reader waits for every writer an earlier one waits for, and a writer waits for every earlier
/// key), so grants follow create revisions.
/// </para>
/// </remarks>
public sealed class EtcdReaderWriterLock : ReaderWriterLockProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable cluster shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Endpoints, prefix, credentials and timing, as for <see cref="EtcdLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public EtcdReaderWriterLock(EtcdLockOptions options, ILogger<EtcdReaderWriterLock>? logger = null)
        : base(options, logger, EtcdHoldLine.Backend, provider => new ReaderWriterLine(options, provider))
    {
    }

    /// <summary>
    /// The etcd mutex name of reader-writer lock <paramref name="name"/> under <paramref name="prefix"/>: what a Go
    /// service passes to <c>recipe.NewRWMutex</c> to share it, e.g. <c>coord/lock/%rw/catalog</c>.
    /// </summary>
    /// <param name="prefix">The key prefix, as <see cref="EtcdLockOptions.Prefix"/>.</param>
    /// <param name="name">The reader-writer lock name.</param>
    /// <returns>The mutex name; its keys are <c>&lt;mutex name&gt;/read/…</c> and <c>&lt;mutex name&gt;/write/…</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> or <paramref name="name"/> is null.</exception>
    public static string MutexNameOf(string prefix, string name) => EtcdReaderWriterKeys.Line(prefix, name).MutexName;

    /// <summary>A reader-writer lock's line: a read or write key per hold; a reader is kept out only by writers ahead of it.</summary>
    private sealed class ReaderWriterLine(EtcdLockOptions options, HoldEngineServices provider) : EtcdHoldLine(options, provider)
    {
        private long _holds;

        protected override EtcdLockKeys KeysOf(string name) => EtcdReaderWriterKeys.Line(Options.Prefix, name);

        protected override ByteString HoldKey(LockRequest request, EtcdLockKeys keys, long leaseId)
            => EtcdReaderWriterKeys.Hold(keys, request.IsShared, leaseId, Interlocked.Increment(ref _holds));

        // Once no blocking key is ahead: the request's MaxHolders is the readers' int.MaxValue, which counts nothing here.
        protected override int Admits(LockRequest request) => 1;

        protected override bool Blocks(EtcdHold hold, ByteString ahead)
            => !EtcdReaderWriterKeys.IsReader(hold.Keys, hold.Key) || EtcdReaderWriterKeys.IsWriter(hold.Keys, ahead);
    }
}
