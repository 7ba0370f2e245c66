using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Coord.Locks.Postgres;

/// <summary>
/// The one LISTEN connection of a process per connection string (or per shared data source), shared
/// by every waiter of every <see cref="PostgresLock"/> and <see cref="PostgresSemaphore"/> on it, and open only while this process has
/// waiters: PostgreSQL signals every listening backend of a database on every NOTIFY, so an idle
/// listener is a cost to everyone. It LISTENs on a channel named after its own backend pid, which
/// waiters write into their queue entries, so a hand-off reaches only the process of the waiter it
/// names; a hand-off between two providers of this process needs no message at all
/// (<see cref="HandOffInProcess"/>). It reconnects by itself (with back-off) and, because messages
/// sent while it was away are gone, then wakes every waiter to look again: each names the new
/// connection in its place in line, which it kept meanwhile (releases pass over a waiter whose
/// listener is gone, but only a place lease that runs out removes it).
/// </summary>
internal sealed class PostgresLockListener
{
    /// <summary>The application_name of the listener connection, so operators can find it in pg_stat_activity.</summary>
    public const string ApplicationName = "coord-lock-listener";

    private static readonly Dictionary<object, PostgresLockListener> Shared = [];
    /// <summary>Quiet seconds after which Npgsql sends a keepalive query on the waiting listener connection, so a half-open one fails.</summary>
    private const int KeepAliveSeconds = 15;
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromSeconds(2);

    /// <summary>How long the connection stays after the last waiter left, so a burst of waits does not reconnect for each.</summary>
    private static readonly TimeSpan IdleLinger = TimeSpan.FromSeconds(1);

    private readonly object _key;
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PostgresAttempt> _waiters = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private int _renters;
    private int _waiting;
    private Session? _session;

    private PostgresLockListener(object key, NpgsqlDataSource dataSource, bool ownsDataSource, ILogger logger)
    {
        _key = key;
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger;
    }

    /// <summary>
    /// The listener for the options' connection string (or for their data source when the application
    /// shares one), shared with every other provider on it in this process. Give it
    /// back with <see cref="ReturnAsync"/>.
    /// </summary>
    public static PostgresLockListener Rent(PostgresLockOptions options, ILogger logger)
    {
        var sharedDataSource = options.DataSource;
        var connectionString = sharedDataSource is null ? options.ConnectionString : null;
        // One connection string has many spellings; the builder's form is canonical.
        object key = sharedDataSource is null ? new NpgsqlConnectionStringBuilder(connectionString).ConnectionString : sharedDataSource;
        lock (Shared)
        {
            if (!Shared.TryGetValue(key, out var listener))
            {
                listener = sharedDataSource is null
                    ? new PostgresLockListener(key, CreateDataSource(connectionString!), ownsDataSource: true, logger)
                    : new PostgresLockListener(key, sharedDataSource, ownsDataSource: false, logger);
                Shared[key] = listener;
            }
            listener._renters++;
            return listener;
        }
    }

    public async ValueTask ReturnAsync()
    {
        Session? session;
        lock (Shared)
        {
            if (--_renters > 0)
                return;
            Shared.Remove(_key);
            lock (_gate)
            {
                session = _session;
                _session = null;
            }
        }
        if (session is not null)
            await session.StopAsync().ConfigureAwait(false);
        if (_ownsDataSource)
            await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The backend pid of the live listener connection (its channel is <c>coord_lock_&lt;pid&gt;</c>), or null while there is none.</summary>
    public int? ProcessId => _session?.ProcessId is var pid and > 0 ? pid : null;

    /// <summary>True while a listener connection is up and LISTENs: a waiter may queue straight away.</summary>
    public bool IsListening => _session?.ProcessId > 0;

    /// <summary>
    /// Registers <paramref name="waiter"/> for wake-ups until the returned object is disposed, starting
    /// the connection if this is the process's first waiter. Wait on <see cref="Membership.Ready"/>
    /// before queueing, or a hand-off could be sent before anyone listens for it.
    /// </summary>
    public Membership Join(PostgresAttempt waiter)
    {
        _waiters[waiter.Token] = waiter;
        Session session;
        lock (_gate)
        {
            _waiting++;
            session = _session ??= StartSession();
        }
        return new Membership(this, waiter, session.Ready);
    }

    /// <summary>Wakes the waiter of this process that a release of this process just handed the lock to.</summary>
    public bool HandOffInProcess(string token, long fence)
    {
        if (!_waiters.TryGetValue(token, out var waiter))
            return false;
        PostgresLockMetrics.WakeUp("hand-off", "in-process");
        waiter.HandOff(fence);
        return true;
    }

    private void Leave(PostgresAttempt waiter)
    {
        _waiters.TryRemove(new KeyValuePair<string, PostgresAttempt>(waiter.Token, waiter));
        Session? session;
        lock (_gate)
        {
            if (--_waiting > 0)
                return;
            session = _session;
        }
        if (session is not null)
            _ = StopWhenStillIdleAsync(session);
    }

    private async Task StopWhenStillIdleAsync(Session session)
    {
        await Task.Delay(IdleLinger).ConfigureAwait(false);
        lock (_gate)
        {
            if (_waiting > 0 || !ReferenceEquals(_session, session))
                return;
            _session = null;
        }
        await session.StopAsync().ConfigureAwait(false);
    }

    private Session StartSession()
    {
        var session = new Session();
        session.Loop = Task.Run(() => RunAsync(session));
        return session;
    }

    private async Task RunAsync(Session session)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var stop = session.Stop.Token;
        var connects = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenUntilBrokenAsync(session, ++connects > 1, () => backoff = TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "The PostgreSQL lock listener lost its connection; reconnecting in {Backoff} ms", backoff.TotalMilliseconds);
            }
            finally
            {
                session.Disconnected();
            }

            // Waiters fall back to their timers while no connection listens; waking them now lets each
            // look again at once instead of sleeping through a release it will never hear about.
            WakeAll("reconnect");
            try
            {
                await Task.Delay(backoff, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = backoff * 2 < MaximumBackoff ? backoff * 2 : MaximumBackoff;
        }
    }

    private async Task ListenUntilBrokenAsync(Session session, bool reconnect, Action connected)
    {
        var stop = session.Stop.Token;
        await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
        try
        {
            connection.Notification += OnNotification;
            // The advisory lock is this process's sign of life to releases deciding whom to hand a lock to.
            await ExecuteAsync(connection,
                $"SET application_name = '{ApplicationName}'; LISTEN \"{PostgresLockStatements.ListenerChannelPrefix}{connection.ProcessID}\"; " +
                $"SELECT pg_advisory_lock({PostgresLockStatements.ListenerLockClass}, pg_backend_pid())", stop).ConfigureAwait(false);
            session.Connected(connection.ProcessID);
            connected();
            await ListenOnAsync(connection, reconnect, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Going back to a pool the application may share: leave no LISTEN or name behind.
            if (!_ownsDataSource)
            {
                try
                {
                    using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await ExecuteAsync(connection, $"UNLISTEN *; RESET application_name; SELECT pg_advisory_unlock({PostgresLockStatements.ListenerLockClass}, pg_backend_pid())", cleanup.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
                {
                    // A broken connection is dropped by the pool anyway.
                }
            }
            throw;
        }
    }

    private async Task ListenOnAsync(NpgsqlConnection connection, bool reconnect, CancellationToken stop)
    {
        if (reconnect)
            WakeAll("reconnect");
        // No timed waits: a wait that times out while a notification is being read can leave that
        // notification unreported until the next one arrives. The data source's keepalive queries
        // (sent by Npgsql while the connection waits) find a half-open connection instead.
        while (true)
            await connection.WaitAsync(stop).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        // h:<token>:<fence>, on this listener's own channel.
        var payload = e.Payload;
        var colon = payload.LastIndexOf(':');
        if (payload.StartsWith("h:", StringComparison.Ordinal)
            && colon > 2
            && _waiters.TryGetValue(payload[2..colon], out var waiter)
            && long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var fence))
        {
            PostgresLockMetrics.WakeUp("hand-off", "notify");
            waiter.HandOff(fence);
        }
        else
        {
            // Its waiter is gone (it left or gave up): the message was delivered here for nothing.
            PostgresLockMetrics.WakeUp("none", "notify");
        }
    }

    private void WakeAll(string reason)
    {
        foreach (var waiter in _waiters.Values)
        {
            PostgresLockMetrics.WakeUp(reason, "in-process");
            waiter.Wake();
        }
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString)
        // Unpooled: closing the listener when the process stops waiting really closes the connection.
        => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = KeepAliveSeconds }.ConnectionString);

    /// <summary>A waiter's registration; disposing it leaves (and lets the connection close once nobody waits).</summary>
    public sealed class Membership : IDisposable
    {
        private readonly PostgresLockListener _owner;
        private readonly PostgresAttempt _waiter;
        private int _left;

        internal Membership(PostgresLockListener owner, PostgresAttempt waiter, Task ready)
        {
            _owner = owner;
            _waiter = waiter;
            Ready = ready;
        }

        /// <summary>Completes once a connection LISTENs for this waiter's hand-offs.</summary>
        public Task Ready { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
                _owner.Leave(_waiter);
        }
    }

    /// <summary>One run of the connection loop, from the first waiter to the idle stop: a connection (and its reconnects).</summary>
    private sealed class Session
    {
        private volatile TaskCompletionSource _ready = NewReady();
        private volatile int _processId;

        public CancellationTokenSource Stop { get; } = new();
        public Task Loop { get; set; } = Task.CompletedTask;
        public int ProcessId => _processId;

        /// <summary>Completes once the current (or next) connection LISTENs.</summary>
        public Task Ready => _ready.Task;

        public void Connected(int processId)
        {
            _processId = processId;
            _ready.TrySetResult();
        }

        public void Disconnected()
        {
            _processId = 0;
            if (_ready.Task.IsCompleted)
                _ready = NewReady();
        }

        public async Task StopAsync()
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            Stop.Dispose();
        }

        private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
