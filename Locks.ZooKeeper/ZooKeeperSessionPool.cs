using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The provider's sessions, a few at most (the common case is a single one). A hold of TTL t goes on
/// the session whose timeout is the largest step of 100 ms × 2^k not above t, so a crashed process
/// loses the hold when the server expires the session, within the TTL, while any number of distinct
/// TTLs (the REST service takes them from its callers) needs only a handful of sessions and
/// connections. The server fits the timeout into its bounds (by default 2 to 20 ticks): above its
/// maximum the session is shorter than the TTL, which is safe (a crash frees the lock sooner; the live
/// process keeps the TTL itself), and once that maximum is known no longer step is asked for; below
/// its minimum a crash could not free the lock within the TTL, so such a TTL is refused before
/// anything is created.
/// </summary>
internal sealed class ZooKeeperSessionPool(ZooKeeperLockOptions options, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan ShortestStep = TimeSpan.FromMilliseconds(100);
    private readonly Dictionary<TimeSpan, Task<ZooKeeperSession>> _sessions = [];
    private readonly CancellationTokenSource _closing = new();
    private TimeSpan _serverMinimum;
    private TimeSpan? _serverMaximum;

    /// <summary>The shortest session the server was seen to grant (zero until the first connect).</summary>
    public TimeSpan ServerMinimum
    {
        get
        {
            lock (_sessions)
                return _serverMinimum;
        }
    }

    /// <summary>Counted once per session opened, so request counts show connects too.</summary>
    public event Action? Connecting;

    /// <summary>The live session for holds of <paramref name="ttl"/>, opening one when there is none (or the last one was lost).</summary>
    public async Task<ZooKeeperSession> GetAsync(TimeSpan ttl, string lockName, CancellationToken cancellationToken)
    {
        Task<ZooKeeperSession> opening;
        TimeSpan timeout;
        lock (_sessions)
        {
            ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
            if (ttl < _serverMinimum)
                throw Refusal(ttl, _serverMinimum, lockName);
            timeout = StepFor(ttl);
            if (!_sessions.TryGetValue(timeout, out opening!) || opening.IsFaulted || opening.IsCanceled || opening is { IsCompletedSuccessfully: true, Result.IsLost: true })
                _sessions[timeout] = opening = OpenAsync(timeout);
        }
        var session = await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_sessions)
        {
            // The server answers with the nearest timeout it allows: learn its bounds from that.
            if (session.Timeout > timeout && session.Timeout > _serverMinimum)
                _serverMinimum = session.Timeout;
            if (session.Timeout < timeout && (_serverMaximum is null || session.Timeout < _serverMaximum))
            {
                // Longer steps are asked for no more: they find this session under the server's maximum.
                _serverMaximum = session.Timeout;
                _sessions.TryAdd(session.Timeout, opening);
            }
        }
        if (session.Timeout > ttl)
            throw Refusal(ttl, session.Timeout, lockName);
        return session;
    }

    private TimeSpan StepFor(TimeSpan ttl)
    {
        var step = ShortestStep;
        while (step * 2 <= ttl)
            step *= 2;
        return _serverMaximum is { } maximum && step > maximum ? maximum : step;
    }

    private ArgumentOutOfRangeException Refusal(TimeSpan ttl, TimeSpan minimum, string lockName)
        => new("ttl", ttl,
                $"Lock '{lockName}': ZooKeeper at {options.ConnectString} expires a session no sooner than {minimum.TotalMilliseconds:0} ms (its minSessionTimeout, by default 2 × tickTime), so a hold of {ttl.TotalMilliseconds:0} ms would outlive its TTL if this process died. Ask for a TTL of at least {minimum.TotalMilliseconds:0} ms, or lower the server's minSessionTimeout.");

    private async Task<ZooKeeperSession> OpenAsync(TimeSpan timeout)
    {
        Connecting?.Invoke();
        // Not bound to the first caller's token: the session outlives that call and serves every later one.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        bound.CancelAfter(options.ConnectTimeout);
        try
        {
            return await ZooKeeperSession.OpenAsync(new ZooKeeperClientOptions
            {
                ConnectString = options.ConnectString!,
                SessionTimeout = timeout,
                RequestTimeout = options.ConnectTimeout,
                ConnectTimeout = options.ConnectTimeout,
                TimeProvider = options.TimeProvider,
                Logger = logger,
            }, options.DriftMarginFor, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!_closing.IsCancellationRequested)
        {
            // The open's own bound, shared by every caller waiting on it: a backend timeout, not a caller's cancellation.
            throw new TimeoutException($"ZooKeeper did not open a session within {options.ConnectTimeout.TotalMilliseconds:0} ms.", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ZooKeeperSession>[] sessions;
        lock (_sessions)
        {
            if (_closing.IsCancellationRequested)
                return;
            _closing.Cancel();
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }
        foreach (var opening in sessions)
        {
            try
            {
                // Closing a session deletes its nodes at once: bare leases nobody released end here.
                await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "A ZooKeeper session that never opened needs no closing");
            }
        }
        _closing.Dispose();
    }
}
