using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// One long-lived ZooKeeper session that many holds share: one connection, pings at a third of the
/// negotiated timeout, a move to another member when its member goes quiet (all inside
/// <see cref="ZooKeeperClient"/>). What it adds is the moment it stops vouching for itself:
/// <see cref="Lost"/> fires when the server reports the session expired, when it is closed, or when
/// no reply has come for so long that the server could expire it any moment now (the send time of
/// the newest answered request plus the negotiated timeout, minus a safety margin of at least a tenth of it). Every hold on
/// the session hangs off that token, so all of them are told before the server could let anyone
/// else in. A lost session is closed and never used again; the pool opens a new one.
/// </summary>
internal sealed class ZooKeeperSession : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<TimeSpan, TimeSpan> _marginFor;
    private Task _watchdog = Task.CompletedTask;
    private int _closed;

    private ZooKeeperSession(ZooKeeperClient client, TimeProvider time, ILogger logger, Func<TimeSpan, TimeSpan> marginFor)
    {
        Client = client;
        _time = time;
        _logger = logger;
        _marginFor = marginFor;
    }

    public ZooKeeperClient Client { get; }

    /// <summary>The timeout the server granted: how long after our last packet it expires the session.</summary>
    public TimeSpan Timeout => Client.SessionTimeout;

    /// <summary>Fires once the session can no longer be vouched for; it is never used again after that.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public static async Task<ZooKeeperSession> OpenAsync(ZooKeeperClientOptions options, Func<TimeSpan, TimeSpan> marginFor, CancellationToken cancellationToken)
    {
        var client = await ZooKeeperClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        var session = new ZooKeeperSession(client, options.TimeProvider, options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, marginFor);
        client.StateChanged += state =>
        {
            if (state is ZooKeeperState.Expired or ZooKeeperState.Closed)
                session.MarkLost($"the session was {state.ToString().ToLowerInvariant()}");
        };
        session._watchdog = Task.Run(session.WatchAsync);
        return session;
    }

    /// <summary>Sleeps until the session would stop being vouched for, and gives up on it if no reply moved that moment on.</summary>
    private async Task WatchAsync()
    {
        try
        {
            while (!_lost.IsCancellationRequested)
            {
                var vouchedUntil = Client.LastVouchedTimestamp + ToTicks(Timeout - Margin());
                var left = vouchedUntil - _time.GetTimestamp();
                if (left <= 0)
                {
                    MarkLost($"no reply from ZooKeeper for longer than the session timeout ({Timeout.TotalMilliseconds:0} ms) allows");
                    return;
                }
                await Task.Delay(TimeSpan.FromSeconds((double)left / _time.TimestampFrequency), _time, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// At least a tenth of the timeout: this timer can fire late on a busy machine, and Lost must still
    /// come before the server's expiry; the rest of the timeout is still room to move to another member.
    /// </summary>
    private TimeSpan Margin()
    {
        var drift = _marginFor(Timeout);
        return drift > Timeout / 10 ? drift : Timeout / 10;
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void MarkLost(string reason)
    {
        if (_lost.IsCancellationRequested)
            return;
        if (Volatile.Read(ref _closed) == 0)
            _logger.LogWarning("ZooKeeper session 0x{SessionId:x} lost: {Reason}; every hold on it is lost", Client.SessionId, reason);
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException ex)
        {
            _logger.LogError(ex, "A hold's handler of a lost ZooKeeper session threw");
        }
        // Closing it (when still connected) deletes its nodes now instead of at the server's expiry.
        _ = Task.Run(() => DisposeAsync().AsTask());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
        MarkLost("the session was closed");
    }
}
