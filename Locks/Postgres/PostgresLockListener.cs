using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Coord.Locks.Postgres;

/// <summary>
/// The one LISTEN connection of a data source, shared by every waiter of every provider on it. It holds
/// one pooled connection for as long as anyone uses it, delivers each hand-off to the waiter it names,
/// and reconnects by itself (with back-off) when the connection drops; after a reconnect it wakes
/// every waiter, because notifications sent while it was away are gone.
/// </summary>
internal sealed class PostgresLockListener
{
    /// <summary>The application_name of the listener connection, so operators can find it in pg_stat_activity.</summary>
    public const string ApplicationName = "coord-lock-listener";

    private static readonly Dictionary<NpgsqlDataSource, PostgresLockListener> Shared = new(ReferenceEqualityComparer.Instance);
    private static readonly TimeSpan WaitSlice = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PingAfterQuiet = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromSeconds(2);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PostgresWaiter> _waiters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _channels = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startGate = new();
    private Task? _loop;
    private int _renters;

    private PostgresLockListener(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
    }

    private int _connects;

    /// <summary>The listener for <paramref name="dataSource"/>, shared with every other provider on it. Give it back with <see cref="ReturnAsync"/>.</summary>
    public static PostgresLockListener Rent(NpgsqlDataSource dataSource, ILogger logger)
    {
        lock (Shared)
        {
            if (!Shared.TryGetValue(dataSource, out var listener))
                Shared[dataSource] = listener = new PostgresLockListener(dataSource, logger);
            listener._renters++;
            return listener;
        }
    }

    public async ValueTask ReturnAsync()
    {
        lock (Shared)
        {
            if (--_renters > 0)
                return;
            Shared.Remove(_dataSource);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    /// <summary>True while <paramref name="channel"/> is LISTENed on a live connection.</summary>
    public bool IsListening(string channel) => _channels.TryGetValue(channel, out var ready) && ready.Task.IsCompletedSuccessfully;

    /// <summary>Returns once <paramref name="channel"/> is LISTENed on a live connection, starting the listener if needed.</summary>
    public Task EnsureListeningAsync(string channel, CancellationToken cancellationToken)
    {
        var ready = _channels.GetOrAdd(channel, static _ => NewReady());
        lock (_startGate)
            _loop ??= Task.Run(RunAsync);
        return ready.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Registers a waiter for wake-ups until the returned object is disposed.</summary>
    public IDisposable Join(PostgresWaiter waiter)
    {
        _waiters[waiter.Token] = waiter;
        return new Membership(this, waiter.Token);
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ListenUntilBrokenAsync(stop, () => backoff = TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
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
                // Channels LISTENed on the lost connection must be LISTENed again; a pending one stays pending.
                foreach (var (channel, ready) in _channels)
                {
                    if (ready.Task.IsCompleted)
                        _channels.TryUpdate(channel, NewReady(), ready);
                }
            }

            // Waiters fall back to their timers while no connection listens; waking them now lets each
            // look again at once instead of sleeping through a release it will never hear about.
            WakeAll();
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

    private async Task ListenUntilBrokenAsync(CancellationToken stop, Action connected)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
        try
        {
            await ListenOnAsync(connection, stop, connected).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Going back to the pool: leave no LISTEN or name behind, even where the pool does not reset sessions.
            try
            {
                using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await ExecuteAsync(connection, "UNLISTEN *; RESET application_name", cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
            {
                // A broken connection is dropped by the pool anyway.
            }
            throw;
        }
    }

    private async Task ListenOnAsync(NpgsqlConnection connection, CancellationToken stop, Action connected)
    {
        connection.Notification += OnNotification;
        await ExecuteAsync(connection, $"SET application_name = '{ApplicationName}'", stop).ConfigureAwait(false);
        var reconnect = Interlocked.Increment(ref _connects) > 1;
        connected();

        var listened = new HashSet<string>(StringComparer.Ordinal);
        var quiet = Stopwatch.StartNew();
        while (true)
        {
            foreach (var (channel, ready) in _channels)
            {
                if (listened.Contains(channel))
                    continue;
                await ExecuteAsync(connection, $"LISTEN \"{channel}\"", stop).ConfigureAwait(false);
                listened.Add(channel);
                ready.TrySetResult();
            }
            if (reconnect)
            {
                reconnect = false;
                WakeAll();
            }

            // Short slices let a channel asked for later be LISTENed soon; a timed-out wait leaves the connection usable.
            if (await connection.WaitAsync(WaitSlice, stop).ConfigureAwait(false))
            {
                quiet.Restart();
            }
            else if (quiet.Elapsed >= PingAfterQuiet)
            {
                // A half-open TCP connection shows no error until something is sent on it.
                await ExecuteAsync(connection, "SELECT 1", stop).ConfigureAwait(false);
                quiet.Restart();
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var payload = e.Payload;
        if (payload.StartsWith("h:", StringComparison.Ordinal))
        {
            // h:<token>:<fence>
            var colon = payload.LastIndexOf(':');
            if (colon > 2
                && _waiters.TryGetValue(payload[2..colon], out var waiter)
                && waiter.Channel == e.Channel
                && long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var fence))
                waiter.HandOff(fence);
        }
        else if (payload.StartsWith("f:", StringComparison.Ordinal))
        {
            // f:<name>: freed with no live waiter in the releaser's view; waiters that queued meanwhile look again.
            var name = payload[2..];
            foreach (var waiter in _waiters.Values)
            {
                if (waiter.Channel == e.Channel && waiter.Name == name)
                    waiter.Signal.Set();
            }
        }
    }

    private void WakeAll()
    {
        foreach (var waiter in _waiters.Values)
            waiter.Signal.Set();
    }

    private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Membership(PostgresLockListener owner, string token) : IDisposable
    {
        public void Dispose() => owner._waiters.TryRemove(token, out _);
    }
}
