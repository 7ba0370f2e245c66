using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// The sessions of one provider, by lease TTL in whole seconds; the common case is one session. A
/// second hold whose key is already taken on a session (a lock's key <c>&lt;name&gt;/&lt;lease hex&gt;</c>
/// names the lease, so one lock name fits once per session) goes to another session of the same TTL,
/// opened when none is free, so both queue in etcd in arrival order. A lost session is dropped and a new
/// one opened for the next hold.
/// </summary>
internal sealed class EtcdSessionPool : IAsyncDisposable
{
    private readonly EtcdConnection _connection;
    private readonly EtcdWatchStream _watches;
    private readonly EtcdLockOptions _options;
    private readonly ILogger _logger;
    private readonly Func<long, ByteString> _marker;
    private readonly object _gate = new();
    private readonly Dictionary<long, List<EtcdSession>> _sessions = [];
    private readonly Dictionary<long, Task<EtcdSession>> _opening = [];
    private readonly CancellationTokenSource _disposing = new();

    public EtcdSessionPool(EtcdConnection connection, EtcdWatchStream watches, EtcdLockOptions options, ILogger logger, Func<long, ByteString> marker)
    {
        _connection = connection;
        _watches = watches;
        _options = options;
        _logger = logger;
        _marker = marker;
    }

    /// <summary>Every live session, for tests and diagnostics.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _sessions.Values.Sum(s => s.Count(x => !x.IsLost));
        }
    }

    /// <summary>A live session of <paramref name="ttlSeconds"/> on which the key of <paramref name="createHold"/>'s hold is free, reserved for that hold.</summary>
    public async Task<EtcdHold> ReserveAsync(long ttlSeconds, Func<EtcdSession, EtcdHold> createHold, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<EtcdSession> opening;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
                if (!_sessions.TryGetValue(ttlSeconds, out var sessions))
                    _sessions[ttlSeconds] = sessions = [];
                for (var i = sessions.Count - 1; i >= 0; i--)
                {
                    if (!sessions[i].IsLost)
                        continue;
                    _ = sessions[i].DisposeAsync().AsTask(); // a lost session has nothing left to revoke; this only stops its timers
                    sessions.RemoveAt(i);
                }
                foreach (var session in sessions)
                {
                    var hold = createHold(session);
                    if (session.TryReserve(hold))
                        return hold;
                }
                if (!_opening.TryGetValue(ttlSeconds, out opening!))
                    _opening[ttlSeconds] = opening = Task.Run(() => OpenAsync(ttlSeconds));
            }
            await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<EtcdSession> OpenAsync(long ttlSeconds)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            var session = await EtcdSession.StartAsync(_connection, _watches, _options, _logger, ttlSeconds, _marker, timeout.Token).ConfigureAwait(false);
            lock (_gate)
                _sessions[ttlSeconds].Add(session);
            _logger.LogDebug("Opened etcd session lease {LeaseId} with a TTL of {Ttl} s", session.LeaseId, session.GrantedTtl.TotalSeconds);
            return session;
        }
        catch (OperationCanceledException ex) when (!_disposing.IsCancellationRequested)
        {
            // The open's own bound, shared by every caller waiting on it: a timeout of the backend, not a
            // cancellation by any of them (which would escape the provider unexplained).
            throw new TimeoutException($"etcd did not open a session (lease grant) within {_options.ConnectTimeout.TotalMilliseconds:0} ms.", ex);
        }
        finally
        {
            lock (_gate)
                _opening.Remove(ttlSeconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        EtcdSession[] all;
        lock (_gate)
        {
            _disposing.Cancel();
            all = [.. _sessions.Values.SelectMany(s => s)];
            _sessions.Clear();
        }
        foreach (var session in all)
            await session.DisposeAsync().ConfigureAwait(false);
    }
}
