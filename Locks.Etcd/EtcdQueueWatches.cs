using Google.Protobuf;
using Google.Protobuf.Collections;
using Mvccpb;

namespace Coord.Locks.Etcd;

/// <summary>How a wait in a lock's queue ended.</summary>
internal enum EtcdQueueTurn
{
    /// <summary>Fewer keys than the line admits are left ahead of ours (none, for a lock): we hold.</summary>
    Admitted,

    /// <summary>Our own key was deleted (lease revoked or expired, or deleted from outside): our place in the queue is gone.</summary>
    PlaceLost,

    /// <summary>The watch ended without telling (etcd cancelled it, e.g. its revision was compacted): read the queue again.</summary>
    MustReread,

    /// <summary>Our session was lost while we waited.</summary>
    SessionLost,
}

/// <summary>
/// The provider's watches over the queues (lines) it waits in: one range watch per lock or semaphore name on the
/// provider's watch stream, over the lock's whole key prefix, DELETE events only, shared by every waiter
/// of this provider on that lock and left open for a moment after the last one leaves, so a client that
/// queues again reuses it instead of creating and cancelling a watch per wait.
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
    private readonly object _gate = new();
    private readonly Dictionary<ByteString, LockQueue> _queues = [];
    private bool _disposed;

    /// <param name="stream">The provider's watch stream.</param>
    /// <param name="time">For the linger timers.</param>
    /// <param name="onDeleted">Told of every DELETE (key, revision) before any waiter is.</param>
    public EtcdQueueWatches(EtcdWatchStream stream, TimeProvider time, Action<ByteString, long> onDeleted)
    {
        _stream = stream;
        _time = time;
        _onDeleted = onDeleted;
    }

    /// <summary>Joins the queue of the lock of <paramref name="keys"/> as the waiter whose key is <paramref name="ownKey"/>; call before enqueueing. Dispose to leave.</summary>
    public Waiter Join(EtcdLockKeys keys, ByteString ownKey)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_queues.TryGetValue(keys.KeyPrefixBytes, out var queue))
                _queues[keys.KeyPrefixBytes] = queue = new LockQueue(this, keys);
            var waiter = new Waiter(queue, ownKey);
            queue.Waiters.Add(waiter);
            queue.Idle?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return waiter;
        }
    }

    private void OnDeletes(LockQueue queue, RepeatedField<Event> events)
    {
        foreach (var e in events)
        {
            if (e.Type == Event.Types.EventType.Delete)
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
                        waiter.Deleted(e.Kv.Key, e.Kv.ModRevision);
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
            foreach (var queue in _queues.Values.ToArray())
                queue.Close();
        }
    }

    /// <summary>One lock's queue as this provider watches it: its range watch (if open) and this provider's waiters on it.</summary>
    internal sealed class LockQueue(EtcdQueueWatches owner, EtcdLockKeys keys)
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
            watch = Owner._stream.WatchRange(keys.KeyPrefixBytes, keys.RangeEnd, revision + 1, events => Owner.OnDeletes(this, events), _ => Owner.OnOutcome(this, watch), "watch");
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

        public void Close()
        {
            if (Owner._queues.TryGetValue(keys.KeyPrefixBytes, out var current) && current == this)
                Owner._queues.Remove(keys.KeyPrefixBytes);
            Watch?.Dispose();
            Watch = null;
            Idle?.Dispose();
        }
    }

    /// <summary>One hold's place in a lock's queue, from before its enqueue transaction until it holds or gives up.</summary>
    internal sealed class Waiter : IDisposable
    {
        private readonly ByteString _ownKey;
        private readonly List<(ByteString Key, long Revision)> _early = [];
        private HashSet<ByteString>? _ahead;
        private long _after;
        private int _admits = 1;
        private bool _ownKeyDeleted;
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
                var turn = new TaskCompletionSource<EtcdQueueTurn>(TaskCreationOptions.RunContinuationsAsynchronously);
                _turn = turn;
                foreach (var (key, deletedAt) in _early)
                    Deleted(key, deletedAt);
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

        public void Deleted(ByteString key, long revision)
        {
            if (_ahead is null)
            {
                _early.Add((key, revision));
                return;
            }
            if (revision <= _after)
                return;
            if (key == _ownKey)
                _ownKeyDeleted = true;
            else
                _ahead.Remove(key);
        }

        /// <summary>Ends the wait if its outcome is known; true if it has ended.</summary>
        public bool Decide()
        {
            if (_ahead is null)
                return false;
            if (_ownKeyDeleted)
                End(EtcdQueueTurn.PlaceLost);
            else if (_ahead.Count < _admits)
                End(EtcdQueueTurn.Admitted);
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
