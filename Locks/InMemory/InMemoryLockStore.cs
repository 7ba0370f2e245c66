using System.Runtime.CompilerServices;

namespace Coord.Locks.InMemory;

/// <summary>
/// The state behind <see cref="InMemoryLock"/>: per name a holder, its expiry and a FIFO queue of
/// waiters. A release hands the lock straight to the first waiter, so nobody can barge past the queue.
/// </summary>
public sealed class InMemoryLockStore
{
    private static readonly ConditionalWeakTable<TimeProvider, InMemoryLockStore> SharedPerClock = new();

    /// <summary>The process-wide store on the system clock, used when options name neither a store nor a clock.</summary>
    public static InMemoryLockStore Shared { get; } = For(TimeProvider.System);

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _lastFence;

    /// <summary>A separate store: only providers given this store exclude each other. Thread-safe.</summary>
    /// <param name="time">Clock for lease expiry and the seed of fencing tokens.</param>
    /// <exception cref="ArgumentNullException"><paramref name="time"/> is null.</exception>
    public InMemoryLockStore(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        // Seeding from the wall clock (microseconds) keeps fencing tokens rising across restarts of the process.
        _lastFence = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    /// <summary>The process-wide store of one clock; it lives as long as the clock does.</summary>
    internal static InMemoryLockStore For(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return SharedPerClock.GetValue(time, static clock => new InMemoryLockStore(clock));
    }

    internal TimeProvider Time => _time;

    /// <summary>Number of names with a holder or waiters; names with neither are forgotten.</summary>
    public int ActiveNames
    {
        get
        {
            lock (_gate)
                return _entries.Count;
        }
    }

    internal async Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        InMemoryWaiter waiter;
        Entry queuedIn;
        lock (_gate)
        {
            var entry = queuedIn = GetEntry(request.Name);
            ExpireHolder(entry);
            if (entry.Holder is null && entry.Waiters.Count == 0)
                return Grant(entry, request.HolderToken, request.Ttl);
            if (request.WaitExpired)
            {
                ForgetIfIdle(request.Name, entry);
                return null;
            }
            waiter = new InMemoryWaiter(request.HolderToken, request.Ttl);
            waiter.Node = entry.Waiters.AddLast(waiter);
        }

        // A name with a waiter is never forgotten, so the entry stays the one in the dictionary.
        return await waiter.WaitAsync(_gate, request, _time,
            () =>
            {
                HandOffIfExpired(request.Name, queuedIn);
                return Remaining(queuedIn.HolderExpiresAt);
            },
            () =>
            {
                queuedIn.Waiters.Remove(waiter.Node!);
                ForgetIfIdle(request.Name, queuedIn);
            },
            cancellationToken).ConfigureAwait(false);
    }

    internal bool Renew(string name, string holderToken, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return false;
            ExpireHolder(entry);
            if (entry.Holder != holderToken)
                return false;
            entry.HolderExpiresAt = _time.GetTimestamp() + ToTimestampTicks(ttl);
            return true;
        }
    }

    internal bool Release(string name, string holderToken)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return false;
            ExpireHolder(entry);
            if (entry.Holder != holderToken)
                return false;
            entry.Holder = null;
            HandOffIfExpired(name, entry);
            return true;
        }
    }

    internal LockStatus Status(string name)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return new LockStatus(name, false, null, null);
            ExpireHolder(entry);
            return entry.Holder is null
                ? new LockStatus(name, false, null, entry.LastFence)
                : new LockStatus(name, true, Remaining(entry.HolderExpiresAt), entry.LastFence);
        }
    }

    /// <summary>The current holder's token and fencing token, or nulls when nobody holds <paramref name="name"/> (an election reads its leader so).</summary>
    internal (string? HolderToken, long? FencingToken) Holder(string name)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return (null, null);
            ExpireHolder(entry);
            return entry.Holder is null ? (null, null) : (entry.Holder, entry.LastFence);
        }
    }

    /// <summary>Drops the current holder as if its lease had run out (used to test the lost signal).</summary>
    internal bool ExpireNow(string name)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry) || entry.Holder is null)
                return false;
            entry.HolderExpiresAt = _time.GetTimestamp();
            entry.Holder = null;
            HandOffIfExpired(name, entry);
            return true;
        }
    }

    private Entry GetEntry(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
            _entries[name] = entry = new Entry();
        return entry;
    }

    private void ExpireHolder(Entry entry)
    {
        if (entry.Holder is not null && _time.GetTimestamp() >= entry.HolderExpiresAt)
            entry.Holder = null;
    }

    private void HandOffIfExpired(string name, Entry entry)
    {
        ExpireHolder(entry);
        if (entry.Holder is not null)
            return;
        var head = entry.Waiters.First;
        if (head is null)
        {
            ForgetIfIdle(name, entry);
            return;
        }
        entry.Waiters.RemoveFirst();
        head.Value.HandOff(Grant(entry, head.Value.Token, head.Value.Ttl));
    }

    private LockGrant Grant(Entry entry, string token, TimeSpan ttl)
    {
        var now = _time.GetTimestamp();
        entry.Holder = token;
        entry.HolderExpiresAt = now + ToTimestampTicks(ttl);
        entry.LastFence = ++_lastFence;
        return new LockGrant(entry.LastFence, now);
    }

    private void ForgetIfIdle(string name, Entry entry)
    {
        if (entry.Holder is null && entry.Waiters.Count == 0)
            _entries.Remove(name);
    }

    private TimeSpan Remaining(long timestamp) => InMemoryWaiter.Until(timestamp, _time);

    private long ToTimestampTicks(TimeSpan span) => InMemoryWaiter.ToTimestampTicks(span, _time);

    private sealed class Entry
    {
        public string? Holder;
        public long HolderExpiresAt;
        public long? LastFence;
        public readonly LinkedList<InMemoryWaiter> Waiters = new();
    }
}
