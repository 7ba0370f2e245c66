namespace Coord.Locks.ZooKeeper;

/// <summary>
/// One granted lock on a shared session: its node, and the deadline by which it must be renewed.
/// The server only ends the whole session, so this process keeps each hold's TTL itself: when the
/// deadline passes without a renewal the hold ends (Lost) and its owner deletes the node. It also
/// ends, lost, with its session.
/// </summary>
internal sealed class ZooKeeperHold
{
    private readonly object _sync = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly TimeProvider _time;
    private readonly Action<ZooKeeperHold, bool> _onEnded;
    private ITimer? _timer;
    private CancellationTokenRegistration _sessionRegistration;
    private long _deadlineTimestamp;
    private bool _ended;

    public ZooKeeperHold(string holderToken, string name, string nodePath, ZooKeeperSession session, TimeProvider time, TimeSpan ttl, Action<ZooKeeperHold, bool> onEnded)
    {
        HolderToken = holderToken;
        Name = name;
        NodePath = nodePath;
        Session = session;
        _time = time;
        _onEnded = onEnded;
        StartedTimestamp = time.GetTimestamp();
        _deadlineTimestamp = StartedTimestamp + ToTimestampTicks(ttl);
        Ttl = ttl;
    }

    public string HolderToken { get; }
    public string Name { get; }
    public string NodePath { get; }
    public ZooKeeperSession Session { get; }
    public TimeSpan Ttl { get; }

    /// <summary>When the hold began; its first TTL counts from here.</summary>
    public long StartedTimestamp { get; }

    /// <summary>Fires when the hold ended other than by release: its deadline passed, or its session was lost (then the owner is called back too).</summary>
    public CancellationToken Lost => _lost.Token;

    public void Start()
    {
        lock (_sync)
            _timer = _time.CreateTimer(static s => ((ZooKeeperHold)s!).OnTimer(), this, Ttl, Timeout.InfiniteTimeSpan);
        _sessionRegistration = Session.Lost.UnsafeRegister(static s =>
        {
            var hold = (ZooKeeperHold)s!;
            if (hold.End(lost: true))
                hold._onEnded(hold, false);
        }, this);
    }

    /// <summary>Moves the deadline to <paramref name="ttl"/> from now; false once the hold has ended.</summary>
    public bool Extend(TimeSpan ttl)
    {
        lock (_sync)
        {
            if (_ended)
                return false;
            _deadlineTimestamp = _time.GetTimestamp() + ToTimestampTicks(ttl);
            _timer?.Change(ttl, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    private void OnTimer()
    {
        lock (_sync)
        {
            if (_ended)
                return;
            var left = _deadlineTimestamp - _time.GetTimestamp();
            if (left > 0)
            {
                _timer?.Change(TimeSpan.FromSeconds((double)left / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }
        }
        if (End(lost: true))
            _onEnded(this, true);
    }

    /// <summary>Ends the hold (once); fires <see cref="Lost"/> when <paramref name="lost"/>. True for the call that ended it.</summary>
    public bool End(bool lost)
    {
        lock (_sync)
        {
            if (_ended)
                return false;
            _ended = true;
            _timer?.Dispose();
        }
        _sessionRegistration.Unregister();
        if (lost)
            _lost.Cancel();
        return true;
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
