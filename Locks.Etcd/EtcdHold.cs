using Google.Protobuf;

namespace Coord.Locks.Etcd;

/// <summary>
/// One acquisition as this process knows it: its key on a session's lease, its queue position, and,
/// once held, its own deadline. A hold that is not renewed by its deadline is deleted by this process
/// (the session lease lives on for the other holds); <see cref="Gone"/> fires when the hold ends
/// without a release: its deadline passed, its key was deleted elsewhere, or its session was lost.
/// </summary>
internal sealed class EtcdHold : IDisposable
{
    private readonly CancellationTokenSource _gone = new();
    private CancellationTokenRegistration _sessionLost;
    private ITimer? _deadline;
    private Action<EtcdHold>? _onDeadline;
    private long _grantedTimestamp = long.MaxValue;
    private long _createRevision;

    /// <param name="name">The lock or semaphore name.</param>
    /// <param name="holderToken">The hold's secret, the value of its key.</param>
    /// <param name="keys">The keys of the name's line.</param>
    /// <param name="session">The session whose lease the key is put on.</param>
    /// <param name="key">The hold's own key in that line.</param>
    /// <param name="value">What the key carries: null for the holder token; an election candidate's value.</param>
    public EtcdHold(string name, string holderToken, EtcdLockKeys keys, EtcdSession session, ByteString key, ByteString? value = null)
    {
        Name = name;
        HolderToken = holderToken;
        HolderTokenBytes = ByteString.CopyFromUtf8(holderToken);
        Value = value ?? HolderTokenBytes;
        Keys = keys;
        Session = session;
        Key = key;
    }

    public string Name { get; }
    public string HolderToken { get; }

    /// <summary>The holder token as the value of <see cref="Key"/>.</summary>
    public ByteString HolderTokenBytes { get; }

    /// <summary>The key's value: the holder token, or an election candidate's value (<c>concurrency.Election</c> puts it there).</summary>
    public ByteString Value { get; }
    public EtcdLockKeys Keys { get; }
    public EtcdSession Session { get; }
    public ByteString Key { get; }
    public long LeaseId => Session.LeaseId;

    /// <summary>Create revision of <see cref="Key"/>: the queue position, and the fencing token once held.</summary>
    public long CreateRevision
    {
        get => Volatile.Read(ref _createRevision);
        set => Volatile.Write(ref _createRevision, value);
    }

    /// <summary>Set once this process sends the DELETE of <see cref="Key"/> (release or abandon), so seeing that delete does not count as a loss.</summary>
    public volatile bool Releasing;

    /// <summary>Why the hold ended without a release, once <see cref="Gone"/> has fired.</summary>
    public string? GoneReason { get; private set; }

    public CancellationToken Gone => _gone.Token;

    /// <summary>True when the hold was granted before <paramref name="timestamp"/>, so its key must have existed then.</summary>
    public bool GrantedBefore(long timestamp) => Volatile.Read(ref _grantedTimestamp) < timestamp;

    /// <summary>
    /// Marks the hold granted: from now on it ends with its session, and, if <paramref name="onDeadline"/>
    /// is given, at its own deadline <paramref name="ttl"/> from now unless renewed.
    /// </summary>
    public void Granted(long grantedTimestamp, TimeSpan ttl, TimeProvider time, Action<EtcdHold>? onDeadline)
    {
        Volatile.Write(ref _grantedTimestamp, grantedTimestamp);
        _sessionLost = Session.Lost.UnsafeRegister(static s => ((EtcdHold)s!).MarkGone("its etcd session was lost"), this);
        if (onDeadline is not null)
        {
            _onDeadline = onDeadline;
            _deadline = time.CreateTimer(static s => ((EtcdHold)s!).ReachedDeadline(), this, ttl, Timeout.InfiniteTimeSpan);
        }
    }

    private void ReachedDeadline() => _onDeadline?.Invoke(this);

    /// <summary>Moves the hold's own deadline to <paramref name="ttl"/> from now; false when the hold has already ended.</summary>
    public bool Extend(TimeSpan ttl)
    {
        if (_gone.IsCancellationRequested || _deadline is not { } deadline)
            return !_gone.IsCancellationRequested;
        return deadline.Change(ttl, Timeout.InfiniteTimeSpan) && !_gone.IsCancellationRequested;
    }

    public void MarkGone(string reason)
    {
        if (_gone.IsCancellationRequested)
            return;
        GoneReason ??= reason;
        try
        {
            _gone.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops the deadline and the session registration; the hold is released or abandoned.</summary>
    public void Dispose()
    {
        _deadline?.Dispose();
        _sessionLost.Dispose();
    }
}
