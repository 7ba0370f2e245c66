using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The provider's sessions, one per TTL (the common case is a single one). A hold's TTL asks for a
/// session of that timeout, so a crashed process loses the hold when the server expires the session,
/// within the TTL. The server fits the timeout into its bounds (by default 2 to 20 ticks): above its
/// maximum the session is shorter than the TTL, which is safe (a crash frees the lock sooner; the live
/// process keeps the TTL itself); below its minimum a crash could not free the lock within the TTL,
/// so such a TTL is refused before anything is created.
/// </summary>
internal sealed class ZooKeeperSessionPool(ZooKeeperLockOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly Dictionary<TimeSpan, Task<ZooKeeperSession>> _sessions = [];
    private readonly CancellationTokenSource _closing = new();
    private static readonly TimeSpan ShortestRequest = TimeSpan.FromMilliseconds(100);
    private TimeSpan _serverMinimum;

    /// <summary>Counted once per session opened, so request counts show connects too.</summary>
    public event Action? Connecting;

    /// <summary>The live session for <paramref name="ttl"/>, opening one when there is none (or the last one was lost).</summary>
    public async Task<ZooKeeperSession> GetAsync(TimeSpan ttl, string lockName, CancellationToken cancellationToken)
    {
        RefuseBelowServerMinimum(ttl, lockName);
        Task<ZooKeeperSession> opening;
        lock (_sessions)
        {
            ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
            if (!_sessions.TryGetValue(ttl, out opening!) || opening.IsFaulted || opening.IsCanceled || opening is { IsCompletedSuccessfully: true, Result.IsLost: true })
                _sessions[ttl] = opening = OpenAsync(ttl);
        }
        var session = await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (session.Timeout > ttl)
        {
            lock (_sessions)
            {
                _serverMinimum = session.Timeout > _serverMinimum ? session.Timeout : _serverMinimum;
                if (_sessions.TryGetValue(ttl, out var current) && current == opening)
                    _sessions.Remove(ttl);
            }
            await session.DisposeAsync().ConfigureAwait(false);
            RefuseBelowServerMinimum(ttl, lockName);
        }
        return session;
    }

    private void RefuseBelowServerMinimum(TimeSpan ttl, string lockName)
    {
        TimeSpan minimum;
        lock (_sessions)
            minimum = _serverMinimum;
        if (ttl < minimum)
            throw new ArgumentOutOfRangeException("ttl", ttl,
                $"Lock '{lockName}': ZooKeeper at {options.ConnectString} expires a session no sooner than {minimum.TotalMilliseconds:0} ms (its minSessionTimeout, by default 2 × tickTime), so a hold of {ttl.TotalMilliseconds:0} ms would outlive its TTL if this process died. Ask for a TTL of at least {minimum.TotalMilliseconds:0} ms, or lower the server's minSessionTimeout.");
    }

    private async Task<ZooKeeperSession> OpenAsync(TimeSpan ttl)
    {
        Connecting?.Invoke();
        // Not bound to the first caller's token: the session outlives that call and serves every later one.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        bound.CancelAfter(options.ConnectTimeout);
        return await ZooKeeperSession.OpenAsync(new ZooKeeperClientOptions
        {
            ConnectString = options.ConnectString!,
            // The client asks for at least 100 ms; the server answers with its own minimum anyway.
            SessionTimeout = ttl < ShortestRequest ? ShortestRequest : ttl,
            RequestTimeout = options.ConnectTimeout,
            ConnectTimeout = options.ConnectTimeout,
            TimeProvider = options.TimeProvider,
            Logger = logger,
        }, options.DriftMarginFor, bound.Token).ConfigureAwait(false);
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
