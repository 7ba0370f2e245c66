using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Coord.Locks.InMemory;

/// <summary>
/// The elections behind <see cref="InMemoryLeaderElection"/>, one set per <see cref="InMemoryLockStore"/> (so on
/// its clock). Leadership is a hold in a lock store of its own (the same FIFO hand-off, leases and fences, and
/// no name shared with the locks); beside it, each candidate's value by holder token and each election's
/// observers, told of every new leader or value in order.
/// </summary>
internal sealed class InMemoryElectionState
{
    private static readonly ConditionalWeakTable<InMemoryLockStore, InMemoryElectionState> PerStore = new();

    /// <summary>How many leaders an observer that does not keep up may fall behind; older ones are dropped, the latest kept.</summary>
    private const int ObserverBacklog = 256;

    private readonly object _gate = new();
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Channel<ElectionLeader>>> _observers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ElectionLeader> _lastTold = new(StringComparer.Ordinal);

    private InMemoryElectionState(TimeProvider time) => Holds = new InMemoryLockStore(time);

    public static InMemoryElectionState Of(InMemoryLockStore store)
        => PerStore.GetValue(store, static s => new InMemoryElectionState(s.Time));

    /// <summary>Leaderships and candidacies as holds and waiters of the election's name.</summary>
    public InMemoryLockStore Holds { get; }

    /// <summary>Candidates whose value is kept (leaders and those in line); resigned ones are forgotten.</summary>
    public int Candidates
    {
        get
        {
            lock (_gate)
                return _values.Count;
        }
    }

    public async Task<LockGrant?> CampaignAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        lock (_gate)
            _values[request.HolderToken] = value;
        // A campaign that fails or times out is withdrawn by a resignation by its token, which forgets the value.
        var grant = await Holds.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
        if (grant is not null)
            Tell(request.Name);
        return grant;
    }

    public bool Renew(string election, string holderToken, TimeSpan ttl) => Holds.Renew(election, holderToken, ttl);

    public bool Resign(string election, string holderToken)
    {
        var resigned = Holds.Release(election, holderToken);
        lock (_gate)
            _values.Remove(holderToken);
        // The release handed leadership to the next candidate in line, if any.
        Tell(election);
        return resigned;
    }

    public bool Proclaim(string election, string holderToken, string value)
    {
        lock (_gate)
        {
            if (Holds.Holder(election).HolderToken != holderToken)
                return false;
            _values[holderToken] = value;
            TellLocked(election);
            return true;
        }
    }

    public ElectionLeader? Leader(string election)
    {
        lock (_gate)
            return LeaderLocked(election);
    }

    public async IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ElectionLeader>(new BoundedChannelOptions(ObserverBacklog) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            if (!_observers.TryGetValue(election, out var observers))
                _observers[election] = observers = [];
            observers.Add(channel);
            if (LeaderLocked(election) is { } now)
                channel.Writer.TryWrite(now);
        }
        try
        {
            while (true)
            {
                // A leader whose lease ran out with nobody in line ends with no event; the next one elected is told.
                yield return await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate)
            {
                var observers = _observers[election];
                observers.Remove(channel);
                if (observers.Count == 0)
                {
                    _observers.Remove(election);
                    _lastTold.Remove(election);
                }
            }
        }
    }

    private void Tell(string election)
    {
        lock (_gate)
            TellLocked(election);
    }

    /// <summary>Tells the election's observers its leader, unless they were told this very leader and value last.</summary>
    private void TellLocked(string election)
    {
        if (!_observers.TryGetValue(election, out var observers) || LeaderLocked(election) is not { } leader)
            return;
        if (_lastTold.TryGetValue(election, out var last) && last.Term >= leader.Term && (last.Term > leader.Term || last.Value == leader.Value))
            return;
        _lastTold[election] = leader;
        foreach (var observer in observers)
            observer.Writer.TryWrite(leader);
    }

    private ElectionLeader? LeaderLocked(string election)
        => Holds.Holder(election) is (string token, long term) && _values.TryGetValue(token, out var value)
            ? new ElectionLeader(election, value, term)
            : null;
}
