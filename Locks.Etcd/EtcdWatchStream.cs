using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Coord.Locks.Etcd;

/// <summary>What ended a watch on one key.</summary>
internal enum EtcdWatchOutcome
{
    /// <summary>etcd reported the key deleted.</summary>
    Deleted,

    /// <summary>etcd cancelled the watch (revision compacted away, or another reason): read the key again to learn its state.</summary>
    MustReread,
}

/// <summary>
/// The one watch stream of a provider: every wait for a key's DELETE (waiters on their predecessor,
/// sessions on their marker key) is a watch on it, with an id chosen here. A broken or stalled stream
/// (its member died, closed it, did not confirm a watch in time, or, while waiters are on it, did not
/// answer a progress request in time) moves the connection to another member, and the stream is opened
/// again there: every open watch is created again from its own start revision, so etcd replays a delete
/// that happened in between and none is missed.
/// </summary>
internal sealed class EtcdWatchStream : IAsyncDisposable
{
    // etcd cancels watches with this header when their member loses its leader, so a watch on a
    // member cut off from the cluster moves elsewhere instead of waiting silently.
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    private readonly EtcdConnection _connection;
    private readonly TimeSpan _createTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<long, Watcher> _watchers = [];
    private int _guarded;
    private readonly CancellationTokenSource _stop = new();
    private Stream? _current;
    private Task? _run;
    private long _nextId;

    public EtcdWatchStream(EtcdConnection connection, TimeSpan createTimeout, TimeProvider time, ILogger logger)
    {
        _connection = connection;
        _createTimeout = createTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Calls <paramref name="onOutcome"/> once, on the stream's reader, when <paramref name="key"/> is
    /// deleted at or after <paramref name="fromRevision"/> (or must be read again). Dispose the result to stop watching.
    /// Each create is counted as a request of <paramref name="operation"/>. While a <paramref name="guarded"/>
    /// watch is open, a silent stream is asked for progress and moved when it does not answer (a waiter must
    /// not sleep on a stalled member); an unguarded one (a session's marker) relies on its session's keep-alives.
    /// </summary>
    public IDisposable Watch(ByteString key, long fromRevision, Action<EtcdWatchOutcome> onOutcome, string operation = "watch", bool guarded = true)
        => Add(new Watcher(this, Interlocked.Increment(ref _nextId), key, ByteString.Empty, fromRevision, onOutcome, onDeletes: null, operation, guarded));

    /// <summary>
    /// Watches every DELETE of a key in [<paramref name="key"/>, <paramref name="rangeEnd"/>) from
    /// <paramref name="fromRevision"/> on, until disposed: <paramref name="onDeletes"/> gets each response's
    /// events, in revision order, on the stream's reader. A stream opened again after a break creates the
    /// watch from just after the last event it delivered, so no delete is missed or repeated. If etcd cancels
    /// the watch (its revision compacted away), <paramref name="onOutcome"/> gets
    /// <see cref="EtcdWatchOutcome.MustReread"/> once and the watch ends. With <paramref name="withPuts"/>, PUT events
    /// come too (an election's observers follow values as well as deletes).
    /// </summary>
    public IDisposable WatchRange(ByteString key, ByteString rangeEnd, long fromRevision, Action<RepeatedField<Event>> onDeletes, Action<EtcdWatchOutcome> onOutcome, string operation, bool withPuts = false)
        => Add(new Watcher(this, Interlocked.Increment(ref _nextId), key, rangeEnd, fromRevision, onOutcome, onDeletes, operation, guarded: true) { WithPuts = withPuts });

    private Watcher Add(Watcher watcher)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _watchers.Add(watcher.Id, watcher);
            if (watcher.Guarded)
                _guarded++;
            _run ??= Task.Run(RunAsync);
            if (_current is { } stream)
                Create(stream, watcher);
        }
        return watcher;
    }

    private void Create(Stream stream, Watcher watcher)
    {
        watcher.Stream = stream;
        var create = new WatchCreateRequest { Key = watcher.Key, RangeEnd = watcher.RangeEnd, StartRevision = watcher.FromRevision, WatchId = watcher.Id };
        if (!watcher.WithPuts)
            create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
        _connection.Metrics.Request(watcher.Operation);
        stream.Outbox.Writer.TryWrite(new WatchRequest { CreateRequest = create });
        // A member that accepts the stream but does not answer (paused) would hold it forever.
        _ = ConfirmOrReopenAsync(stream, watcher);
    }

    private async Task ConfirmOrReopenAsync(Stream stream, Watcher watcher)
    {
        try
        {
            await Task.Delay(_createTimeout, _time, stream.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_gate)
        {
            if (watcher.Confirmed || watcher.Stream != stream || !_watchers.ContainsKey(watcher.Id))
                return;
        }
        Stalled(stream, $"did not confirm a watch within {_createTimeout.TotalMilliseconds:0} ms");
    }

    private void Stalled(Stream stream, string what)
    {
        stream.Abort();
        _connection.ReportFailure(stream.Channel, what);
    }

    /// <summary>
    /// While guarded watches are open, asks a stream that has been silent for the create timeout for
    /// progress, and moves it when the answer does not come within the create timeout either.
    /// </summary>
    private async Task GuardAsync(Stream stream)
    {
        var tick = _createTimeout / 2;
        try
        {
            while (true)
            {
                await Task.Delay(tick, _time, stream.Token).ConfigureAwait(false);
                if (Volatile.Read(ref _guarded) == 0)
                    continue;
                var heard = stream.LastHeard;
                var asked = stream.ProgressAsked;
                if (asked > heard)
                {
                    if (_time.GetElapsedTime(asked) >= _createTimeout)
                    {
                        Stalled(stream, $"did not answer a watch progress request within {_createTimeout.TotalMilliseconds:0} ms");
                        return;
                    }
                }
                else if (_time.GetElapsedTime(heard) >= _createTimeout)
                {
                    stream.ProgressAsked = _time.GetTimestamp();
                    _connection.Metrics.Request("watch-progress");
                    stream.Outbox.Writer.TryWrite(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Remove(Watcher watcher, bool cancelOnServer)
    {
        lock (_gate)
        {
            if (!_watchers.Remove(watcher.Id))
                return;
            if (watcher.Guarded)
                _guarded--;
            if (cancelOnServer && watcher.Stream is { } stream && stream == _current)
            {
                _connection.Metrics.Request("watch-cancel");
                stream.Outbox.Writer.TryWrite(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = watcher.Id } });
            }
        }
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            var channel = _connection.Current;
            using var stream = new Stream(channel, _time, _stop.Token);
            try
            {
                using var call = channel.Watches.Watch(RequireLeader, cancellationToken: stream.Token);
                lock (_gate)
                {
                    _current = stream;
                    foreach (var watcher in _watchers.Values)
                        Create(stream, watcher);
                }
                var writer = WriteAsync(call, stream);
                _ = GuardAsync(stream);
                while (await call.ResponseStream.MoveNext(stream.Token).ConfigureAwait(false))
                {
                    stream.LastHeard = _time.GetTimestamp();
                    Handle(call.ResponseStream.Current);
                    backoff = TimeSpan.FromMilliseconds(50);
                }
                stream.Abort();
                await writer.ConfigureAwait(false);
                _connection.ReportFailure(channel, "closed the watch stream");
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // However the stream broke (RpcException, or a cancellation from inside the gRPC client
                // when a dead connection is torn down), only our own stop ends it; the stream moves on.
                _logger.LogDebug(ex, "The etcd watch stream broke; opening it again");
                _connection.ReportFailure(channel, "broke the watch stream", ex);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                lock (_gate)
                {
                    if (_current == stream)
                        _current = null;
                }
            }
            try
            {
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private static async Task WriteAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, Stream stream)
    {
        try
        {
            await foreach (var request in stream.Outbox.Reader.ReadAllAsync(stream.Token).ConfigureAwait(false))
                await call.RequestStream.WriteAsync(request, stream.Token).ConfigureAwait(false);
        }
        catch (Exception) when (stream.Token.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            stream.Abort(); // the reader sees the broken call and opens a new stream
        }
    }

    private void Handle(WatchResponse response)
    {
        Watcher? watcher;
        lock (_gate)
            _watchers.TryGetValue(response.WatchId, out watcher);
        if (watcher is null)
            return; // stopped meanwhile, or a cancel confirmation
        if (response.Created)
            watcher.Confirmed = true;
        EtcdWatchOutcome outcome;
        if (watcher.OnDeletes is { } onDeletes)
        {
            if (response.Events.Count > 0)
            {
                watcher.FromRevision = response.Events[^1].Kv.ModRevision + 1;
                if (!watcher.IsDone)
                    onDeletes(response.Events);
            }
            if (!response.Canceled && response.CompactRevision == 0)
                return;
            outcome = EtcdWatchOutcome.MustReread;
        }
        else if (response.Events.Any(e => e.Type == Event.Types.EventType.Delete))
            outcome = EtcdWatchOutcome.Deleted;
        else if (response.Canceled || response.CompactRevision != 0)
            outcome = EtcdWatchOutcome.MustReread;
        else
            return;
        Remove(watcher, cancelOnServer: !response.Canceled);
        watcher.Complete(outcome);
    }

    public async ValueTask DisposeAsync()
    {
        Task? run;
        lock (_gate)
        {
            _stop.Cancel();
            run = _run;
        }
        if (run is not null)
            await run.ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>One open gRPC watch stream on one member's channel; requests go out through <see cref="Outbox"/> in order.</summary>
    private sealed class Stream(EtcdMemberChannel channel, TimeProvider time, CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop, channel.Retired);
        private long _lastHeard = time.GetTimestamp();
        private long _progressAsked;

        public EtcdMemberChannel Channel { get; } = channel;
        public Channel<WatchRequest> Outbox { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchRequest>(new UnboundedChannelOptions { SingleReader = true });
        public CancellationToken Token => _cancel.Token;

        /// <summary>Timestamp of the last response read from the stream (or of its opening).</summary>
        public long LastHeard
        {
            get => Volatile.Read(ref _lastHeard);
            set => Volatile.Write(ref _lastHeard, value);
        }

        /// <summary>Timestamp of the last progress request sent, 0 before the first.</summary>
        public long ProgressAsked
        {
            get => Volatile.Read(ref _progressAsked);
            set => Volatile.Write(ref _progressAsked, value);
        }

        public void Abort()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            Outbox.Writer.TryComplete();
            _cancel.Dispose();
        }
    }

    private sealed class Watcher(EtcdWatchStream owner, long id, ByteString key, ByteString rangeEnd, long fromRevision, Action<EtcdWatchOutcome> onOutcome, Action<RepeatedField<Event>>? onDeletes, string operation, bool guarded) : IDisposable
    {
        private int _done;
        private long _fromRevision = fromRevision;

        public string Operation { get; } = operation;

        /// <summary>Whether etcd reports PUT events too (a range watch that follows values).</summary>
        public bool WithPuts { get; init; }
        public bool Guarded { get; } = guarded;
        public long Id { get; } = id;
        public ByteString Key { get; } = key;
        public ByteString RangeEnd { get; } = rangeEnd;

        /// <summary>Set for a watch that stays open across deletes (<see cref="WatchRange"/>).</summary>
        public Action<RepeatedField<Event>>? OnDeletes { get; } = onDeletes;

        /// <summary>Where a (re)created watch starts: its first revision, or just after the last event a range watch delivered.</summary>
        public long FromRevision
        {
            get => Volatile.Read(ref _fromRevision);
            set => Volatile.Write(ref _fromRevision, value);
        }

        public Stream? Stream { get; set; }
        public volatile bool Confirmed;

        public bool IsDone => Volatile.Read(ref _done) != 0;

        public void Complete(EtcdWatchOutcome outcome)
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                onOutcome(outcome);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                owner.Remove(this, cancelOnServer: true);
        }
    }
}
