namespace Coord.Stress.Engine;

/// <summary>
/// Watches the critical sections of one process as they happen: two clients inside at once is an
/// overlap, a fencing token not above the last one seen for the name is out of order. Also measures
/// hand-offs: a client that had been waiting entering after a <em>different</em> client left.
/// </summary>
public sealed class ExclusionMonitor(int names)
{
    private readonly NameState[] _states = Enumerable.Range(0, names).Select(_ => new NameState()).ToArray();
    private long _overlaps;
    private long _fencesOutOfOrder;

    public long Overlaps => Interlocked.Read(ref _overlaps);
    public long FencesOutOfOrder => Interlocked.Read(ref _fencesOutOfOrder);

    /// <summary>Records an entry; returns the hand-off latency in timestamp ticks, or null when this was no hand-off.</summary>
    public long? Enter(int nameIndex, int client, long waitStarted, long acquired, long? fence)
    {
        var state = _states[nameIndex];
        lock (state)
        {
            if (state.Occupant >= 0)
                Interlocked.Increment(ref _overlaps);
            state.Occupant = client;
            if (fence is { } f)
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
            if (state.Occupant == client)
                state.Occupant = -1;
            state.LastLeaver = client;
            state.LastLeft = left;
        }
    }

    private sealed class NameState
    {
        public int Occupant = -1;
        public long? LastFence;
        public int LastLeaver = -1;
        public long LastLeft;
    }
}
