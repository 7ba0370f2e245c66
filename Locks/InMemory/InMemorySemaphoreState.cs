using System.Runtime.CompilerServices;

namespace Coord.Locks.InMemory;

/// <summary>
/// The holds behind <see cref="InMemorySemaphore"/> and <see cref="InMemoryReaderWriterLock"/>, one set per
/// primitive and <see cref="InMemoryLockStore"/> (and so on its clock): per name the max count it is in use with,
/// its holders with their expiry (and which of them, if any, holds exclusively), and a FIFO line of waiters.
/// Whenever a hold comes free (release, expiry) the first waiters it makes room for get it at once, so nobody
/// can barge past the line, and a waiting exclusive hold (a writer) keeps back every shared one behind it.
/// </summary>
internal sealed class InMemorySemaphoreState
{
    private static readonly ConditionalWeakTable<InMemoryLockStore, InMemorySemaphoreState> PerStore = new();
    private static readonly ConditionalWeakTable<InMemoryLockStore, InMemorySemaphoreState> ReaderWritersPerStore = new();

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _lastFence;

    private InMemorySemaphoreState(TimeProvider time)
    {
        _time = time;
        // As the lock store does: seeded from the wall clock (microseconds), so tokens rise across restarts.
        _lastFence = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    /// <summary>The semaphores of <paramref name="store"/>.</summary>
    public static InMemorySemaphoreState Of(InMemoryLockStore store)
        => PerStore.GetValue(store, static s => new InMemorySemaphoreState(s.Time));

    /// <summary>The reader-writer locks of <paramref name="store"/>: apart from its semaphores, so a name means one thing per primitive.</summary>
    public static InMemorySemaphoreState ReaderWritersOf(InMemoryLockStore store)
        => ReaderWritersPerStore.GetValue(store, static s => new InMemorySemaphoreState(s.Time));

    /// <summary>Number of names with a holder or a waiter; idle names are forgotten.</summary>
    public int ActiveNames
    {
        get
        {
            lock (_gate)
                return _entries.Count;
        }
    }

    /// <summary>How many wait in line for <paramref name="name"/>.</summary>
    public int Waiting(string name)
    {
        lock (_gate)
            return _entries.TryGetValue(name, out var entry) ? entry.Waiters.Count : 0;
    }

    public async Task<LockGrant?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        InMemoryWaiter waiter;
        Entry queuedIn;
        lock (_gate)
        {
            var entry = queuedIn = GetEntry(request.Name);
            HandOffFreePermits(entry);
            if (entry.Holders.Count + entry.Waiters.Count == 0)
                entry.MaxCount = request.MaxHolders;
            else if (entry.MaxCount != request.MaxHolders)
                throw new SemaphoreCountMismatchException(request.Name, InMemoryHolds.Backend, InMemoryHolds.EndpointName, request.MaxHolders, entry.MaxCount);
            if (entry.Waiters.Count == 0 && entry.Admits(request.IsShared))
                return Grant(entry, request.HolderToken, request.Ttl, request.IsShared);
            if (request.WaitExpired)
            {
                ForgetIfIdle(request.Name, entry);
                return null;
            }
            waiter = new InMemoryWaiter(request.HolderToken, request.Ttl, request.IsShared);
            waiter.Node = entry.Waiters.AddLast(waiter);
        }

        // A name with a waiter is never forgotten, so the entry stays the one in the dictionary.
        return await waiter.WaitAsync(_gate, request, _time,
            () =>
            {
                HandOffFreePermits(queuedIn);
                // While anyone waits the head does not fit beside the holders, so there is a first expiry to wait for.
                return InMemoryWaiter.Until(queuedIn.Holders.Values.Min(), _time);
            },
            () =>
            {
                queuedIn.Waiters.Remove(waiter.Node!);
                ForgetIfIdle(request.Name, queuedIn);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public bool Renew(string name, string holderToken, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return false;
            HandOffFreePermits(entry);
            if (!entry.Holders.ContainsKey(holderToken))
                return false;
            entry.Holders[holderToken] = _time.GetTimestamp() + InMemoryWaiter.ToTimestampTicks(ttl, _time);
            return true;
        }
    }

    public bool Release(string name, string holderToken)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(name, out var entry))
                return false;
            HandOffFreePermits(entry);
            if (!Forget(entry, holderToken))
                return false;
            HandOffFreePermits(entry);
            ForgetIfIdle(name, entry);
            return true;
        }
    }

    private Entry GetEntry(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
            _entries[name] = entry = new Entry();
        return entry;
    }

    /// <summary>Drops expired holders and lets in the waiters at the head of the line, as many as fit in turn.</summary>
    private void HandOffFreePermits(Entry entry)
    {
        var now = _time.GetTimestamp();
        List<string>? expired = null;
        foreach (var (token, expiresAt) in entry.Holders)
        {
            if (now >= expiresAt)
                (expired ??= []).Add(token);
        }
        if (expired is not null)
        {
            foreach (var token in expired)
                Forget(entry, token);
        }
        while (entry.Waiters.First is { } head && entry.Admits(head.Value.IsShared))
        {
            entry.Waiters.RemoveFirst();
            head.Value.HandOff(Grant(entry, head.Value.Token, head.Value.Ttl, head.Value.IsShared));
        }
    }

    private LockGrant Grant(Entry entry, string token, TimeSpan ttl, bool isShared)
    {
        var now = _time.GetTimestamp();
        entry.Holders[token] = now + InMemoryWaiter.ToTimestampTicks(ttl, _time);
        if (!isShared)
            entry.ExclusiveHolder = token;
        return new LockGrant(++_lastFence, now);
    }

    private static bool Forget(Entry entry, string token)
    {
        if (!entry.Holders.Remove(token))
            return false;
        if (entry.ExclusiveHolder == token)
            entry.ExclusiveHolder = null;
        return true;
    }

    private void ForgetIfIdle(string name, Entry entry)
    {
        if (entry.Holders.Count == 0 && entry.Waiters.Count == 0)
            _entries.Remove(name);
    }

    private sealed class Entry
    {
        public int MaxCount;
        public readonly Dictionary<string, long> Holders = new(StringComparer.Ordinal);
        public string? ExclusiveHolder;
        public readonly LinkedList<InMemoryWaiter> Waiters = new();

        /// <summary>Whether a hold of that kind fits beside the current holders (the line aside).</summary>
        public bool Admits(bool isShared)
            => isShared ? ExclusiveHolder is null && Holders.Count < MaxCount : Holders.Count == 0;
    }
}
