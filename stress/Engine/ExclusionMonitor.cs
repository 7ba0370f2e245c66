namespace Coord.Stress.Engine;

/// <summary>
/// Watches the critical sections of one process as they happen. A name admits <c>capacity</c> holders at
/// once (1 for a lock, N for a semaphore of N permits): a client entering while that many are already
/// inside is an overlap (for a lock, two holders at once). For a lock, a fencing token not above the last
/// one seen for the name is out of order; a semaphore's concurrent grants may return in any order, so its
/// tokens are checked after the run from the recorded intervals (<see cref="IntervalAnalysis"/>). Also
/// measures hand-offs: a client that had been waiting entering after a <em>different</em> client left.
/// </summary>
public sealed class ExclusionMonitor(int names, int capacity = 1)
{
    private readonly NameState[] _states = Enumerable.Range(0, names).Select(_ => new NameState()).ToArray();
    private long _overlaps;
    private long _fencesOutOfOrder;
    private long _peakInUse;

    public long Overlaps => Interlocked.Read(ref _overlaps);
    public long FencesOutOfOrder => Interlocked.Read(ref _fencesOutOfOrder);

    /// <summary>Most clients seen inside one name at once.</summary>
    public long PeakInUse => Interlocked.Read(ref _peakInUse);

    /// <summary>Records an entry; returns the hand-off latency in timestamp ticks, or null when this was no hand-off.</summary>
    public long? Enter(int nameIndex, int client, long waitStarted, long acquired, long? fence)
    {
        var state = _states[nameIndex];
        lock (state)
        {
            if (state.Inside >= capacity)
                Interlocked.Increment(ref _overlaps);
            state.Inside++;
            long peak;
            while (state.Inside > (peak = Interlocked.Read(ref _peakInUse)) && Interlocked.CompareExchange(ref _peakInUse, state.Inside, peak) != peak)
            {
                // another name raised the peak meanwhile; compare again
            }
            if (fence is { } f && capacity == 1)
            {
                if (state.LastFence is { } last && f <= last)
                    Interlocked.Increment(ref _fencesOutOfOrder);
                state.LastFence = f;
            }
            return state.LastLeaver >= 0 && state.LastLeaver != client && waitStarted <= state.LastLeft
                ? acquired - state.LastLeft
                : null;
        }
    }

    public void Exit(int nameIndex, int client, long left)
    {
        var state = _states[nameIndex];
        lock (state)
        {
            state.Inside--;
            state.LastLeaver = client;
            state.LastLeft = left;
        }
    }

    private sealed class NameState
    {
        public int Inside;
        public long? LastFence;
        public int LastLeaver = -1;
        public long LastLeft;
    }
}
