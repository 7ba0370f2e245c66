using Google.Protobuf;
using Google.Protobuf.Collections;
using Mvccpb;

namespace Coord.Locks.Etcd;

/// <summary>How a wait in a lock's queue ended.</summary>
internal enum EtcdQueueTurn
{
    /// <summary>Fewer keys than the line admits are left ahead of ours (none, for a lock): we hold.</summary>
    Admitted,

    /// <summary>
    /// Admitted, but a key ahead of ours went with its session lease (revoked or expired), not by a release:
    /// its holder's process learns of that from the same revision on its own stream, so the grant waits a moment.
    /// </summary>
    AdmittedAfterSessionEnd,

    /// <summary>Our own key was deleted (lease revoked or expired, or deleted from outside): our place in the queue is gone.</summary>
    PlaceLost,

    /// <summary>The watch ended without telling (etcd cancelled it, e.g. its revision was compacted): read the queue again.</summary>
    MustReread,

    /// <summary>Our session was lost while we waited.</summary>
    SessionLost,
}

/// <summary>
/// The provider's watch over the queues (lines) it waits in: one range watch on the provider's watch stream
/// over the provider's whole key prefix (every lock's or semaphore's line, and the session markers), DELETE
/// events only, shared by every waiter of this provider and left open for a moment after the last one leaves,
/// so a client that queues again reuses it instead of creating and cancelling a watch per wait.
/// </summary>
/// <remarks>
/// <para>
/// Why the whole prefix and not only the predecessor (as etcd's <c>mutex.go</c>): a waiter reads, in its
/// enqueue transaction at revision R, every key created before its own. Keys created later sort after
/// it, so the queue ahead of it can only shrink. The watch reports every DELETE under the prefix after R
/// in revision order, so the waiter sees the last key ahead of it go and knows it is now the first-created
/// key, the owner, without the read that <c>mutex.go</c> and a predecessor-only watch need after each
/// wake-up (a predecessor's DELETE looks the same whether it held the lock or gave up waiting). The price
/// is that each DELETE of a lock reaches every process waiting on it (an event each, no request).
/// </para>
/// <para>
/// Why the whole provider prefix and not one watch per line: a session's lease, revoked or expired, takes its
/// marker key (<see cref="EtcdLockKeys.SessionMarker"/>) and every hold key in one revision, and etcd sends a
/// watcher all events of one revision in one response. So one watch that covers markers and lines tells a
/// release (a DELETE alone) from the end of a session (a DELETE beside a marker's) with no read; two watches on
/// one stream could deliver the marker's event after the line's. A waiter admitted by the end of a session
/// lets its grant wait (<see cref="EtcdQueueTurn.AdmittedAfterSessionEnd"/>), so that the holder's process,
/// told by its own marker watch at the same revision, fires <c>Lost</c> first. The price is that every DELETE
/// under the prefix reaches each process that is waiting on any line of it (an event, no request).
/// </para>
/// <para>
/// A waiter joins before its enqueue transaction is sent, so a DELETE the watch reports between the
/// transaction and the waiter's arming is kept and applied if it came after R. Every DELETE is first shown
/// to the provider (<c>onDeleted</c>), which ends its own hold of that key if the key went without a
/// release, before any waiter of this provider is told: a hold and a waiter on one lock in one process
/// learn of the key's end in that order.
/// </para>
/// </remarks>
internal sealed class EtcdQueueWatches : IDisposable
{
    /// <summary>How long a lock's watch stays open with no waiter, for the next wait to reuse.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    private readonly EtcdWatchStream _stream;
    private readonly TimeProvider _time;
    private readonly Action<ByteString, long> _onDeleted;
    private readonly ByteString _markerPrefix;
    private readonly object _gate = new();
    private readonly LockQueue _queue;
    private bool _disposed;

    /// <param name="stream">The provider's watch stream.</param>
    /// <param name="time">For the linger timers.</param>
    /// <param name="prefix">The provider's key prefix (<see cref="EtcdLockOptions.Prefix"/>): every line and session marker lies under it.</param>
    /// <param name="onDeleted">Told of every DELETE (key, revision) before any waiter is.</param>
    public EtcdQueueWatches(EtcdWatchStream stream, TimeProvider time, string prefix, Action<ByteString, long> onDeleted)
    {
        _stream = stream;
        _time = time;
        _onDeleted = onDeleted;
        _markerPrefix = ByteString.CopyFromUtf8(EtcdLockKeys.SessionMarkerPrefix(prefix));
        var (from, end) = EtcdLockKeys.PrefixRange(prefix);
        _queue = new LockQueue(this, from, end);
    }

    /// <summary>Joins the queues as the waiter whose key is <paramref name="ownKey"/>; call before enqueueing. Dispose to leave.</summary>
    public Waiter Join(ByteString ownKey)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var waiter = new Waiter(_queue, ownKey);
            _queue.Waiters.Add(waiter);
            _queue.Idle?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return waiter;
        }
    }

    private void OnDeletes(LockQueue queue, RepeatedField<Event> events)
    {
        // etcd never splits a revision across responses, so a lease's marker DELETE comes in the same
        // response as the DELETEs of the hold keys it took with it.
        HashSet<long>? sessionEnds = null;
        foreach (var e in events)
        {
            if (e.Type != Event.Types.EventType.Delete)
                continue;
            if (e.Kv.Key.Span.StartsWith(_markerPrefix.Span))
                (sessionEnds ??= []).Add(e.Kv.ModRevision);
            else
                _onDeleted(e.Kv.Key, e.Kv.ModRevision);
        }
        lock (_gate)
        {
            if (queue.Watch is null)
                return; // replaced or ended meanwhile
            foreach (var waiter in queue.Waiters)
            {
                foreach (var e in events)
                {
                    if (e.Type == Event.Types.EventType.Delete)
                        waiter.Deleted(e.Kv.Key, e.Kv.ModRevision, sessionEnds?.Contains(e.Kv.ModRevision) == true);
                }
                waiter.Decide();
            }
        }
    }

    private void OnOutcome(LockQueue queue, IDisposable? watch)
    {
        lock (_gate)
        {
            if (queue.Watch != watch)
                return;
            queue.Watch = null;
            foreach (var waiter in queue.Waiters)
                waiter.End(EtcdQueueTurn.MustReread);
            queue.IdleIfUnused();
        }
    }

    private void Leave(Waiter waiter)
    {
        lock (_gate)
        {
            var queue = waiter.Queue;
            queue.Waiters.Remove(waiter);
            queue.IdleIfUnused();
        }
    }

    private void OnIdle(LockQueue queue)
    {
        lock (_gate)
        {
            if (queue.Waiters.Count == 0)
                queue.Close();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _queue.Close();
            _queue.Idle?.Dispose();
        }
    }

    /// <summary>The provider's queues as it watches them: its range watch (if open) and this provider's waiters on any line.</summary>
    internal sealed class LockQueue(EtcdQueueWatches owner, ByteString from, ByteString rangeEnd)
    {
        public EtcdQueueWatches Owner { get; } = owner;
        public List<Waiter> Waiters { get; } = [];
        public IDisposable? Watch { get; set; }

        /// <summary>The first revision the open watch reports.</summary>
        public long From { get; private set; }

        public ITimer? Idle { get; private set; }

        /// <summary>Makes sure the watch reports every DELETE after <paramref name="revision"/>; under the owner's gate.</summary>
        public void Cover(long revision)
        {
            if (Watch is not null && From <= revision + 1)
                return;
            // None open, or one that starts later than this waiter needs (its transaction ran before
            // another waiter's that opened the watch): open one from here and drop the other. Its waiters
            // then see some deletes twice, which changes nothing for them.
            var previous = Watch;
            IDisposable? watch = null;
            watch = Owner._stream.WatchRange(from, rangeEnd, revision + 1, events => Owner.OnDeletes(this, events), _ => Owner.OnOutcome(this, watch), "watch");
            Watch = watch;
            From = revision + 1;
            previous?.Dispose();
        }

        public void IdleIfUnused()
        {
            if (Waiters.Count > 0)
                return;
            if (Watch is null)
            {
                Close();
                return;
            }
            Idle ??= Owner._time.CreateTimer(static s => { var q = (LockQueue)s!; q.Owner.OnIdle(q); }, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Idle.Change(Linger, Timeout.InfiniteTimeSpan);
        }

        /// <summary>Closes the watch; the queue itself lives as long as the provider, for the next waiter.</summary>
        public void Close()
        {
            Watch?.Dispose();
            Watch = null;
        }
    }

    /// <summary>One hold's place in a lock's queue, from before its enqueue transaction until it holds or gives up.</summary>
    internal sealed class Waiter : IDisposable
    {
        private readonly ByteString _ownKey;
        private readonly List<(ByteString Key, long Revision, bool SessionEnd)> _early = [];
        private HashSet<ByteString>? _ahead;
        private long _after;
        private int _admits = 1;
        private bool _ownKeyDeleted;
        private bool _aheadLeftWithSession;
        private TaskCompletionSource<EtcdQueueTurn>? _turn;

        public Waiter(LockQueue queue, ByteString ownKey)
        {
            Queue = queue;
            _ownKey = ownKey;
        }

        public LockQueue Queue { get; }

        /// <summary>
        /// Waits until fewer than <paramref name="admits"/> keys of <paramref name="ahead"/> (the keys created
        /// before ours, as read at <paramref name="revision"/>) are left (1 for a lock: all of them deleted),
        /// or our own key has been deleted.
        /// </summary>
        public Task<EtcdQueueTurn> WaitAsync(IEnumerable<ByteString> ahead, long revision, int admits)
        {
            var owner = Queue.Owner;
            lock (owner._gate)
            {
                _ahead = [.. ahead];
                _after = revision;
                _admits = admits;
                _ownKeyDeleted = false;
                _aheadLeftWithSession = false;
                var turn = new TaskCompletionSource<EtcdQueueTurn>(TaskCreationOptions.RunContinuationsAsynchronously);
                _turn = turn;
                foreach (var (key, deletedAt, sessionEnd) in _early)
                    Deleted(key, deletedAt, sessionEnd);
                _early.Clear();
                // Deletes kept from before this wait may already decide it, and ending it clears _turn.
                if (!Decide())
                    Queue.Cover(revision);
                return turn.Task;
            }
        }

        /// <summary>Ends the current wait with <paramref name="turn"/> (session lost, wait over); the next <see cref="WaitAsync"/> starts a new one.</summary>
        public void Stop(EtcdQueueTurn turn)
        {
            lock (Queue.Owner._gate)
                End(turn);
        }

        /// <summary><paramref name="key"/> was deleted at <paramref name="revision"/>; <paramref name="sessionEnd"/> when a session lease took it, not a release.</summary>
        public void Deleted(ByteString key, long revision, bool sessionEnd)
        {
            if (_ahead is null)
            {
                _early.Add((key, revision, sessionEnd));
                return;
            }
            if (revision <= _after)
                return;
            if (key == _ownKey)
                _ownKeyDeleted = true;
            else if (_ahead.Remove(key) && sessionEnd)
                _aheadLeftWithSession = true;
        }

        /// <summary>Ends the wait if its outcome is known; true if it has ended.</summary>
        public bool Decide()
        {
            if (_ahead is null)
                return false;
            if (_ownKeyDeleted)
                End(EtcdQueueTurn.PlaceLost);
            else if (_ahead.Count < _admits)
                End(_aheadLeftWithSession ? EtcdQueueTurn.AdmittedAfterSessionEnd : EtcdQueueTurn.Admitted);
            return _ahead is null;
        }

        /// <summary>Completes the current wait and goes back to collecting deletes for the next one.</summary>
        public void End(EtcdQueueTurn turn)
        {
            if (_turn is null)
                return;
            _ahead = null;
            _turn.TrySetResult(turn);
            _turn = null;
        }

        public void Dispose() => Queue.Owner.Leave(this);
    }
}
