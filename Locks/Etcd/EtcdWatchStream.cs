using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
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
/// sessions on their marker key) is a watch on it, with an id chosen here. A broken stream (its
/// member died, or did not confirm a watch in time) is opened again, on whichever member the channel
/// picks, and every open watch is created again from its own start revision, so etcd replays a
/// delete that happened in between and none is missed.
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
    /// Each create is counted as a request of <paramref name="operation"/>.
    /// </summary>
    public IDisposable Watch(ByteString key, long fromRevision, Action<EtcdWatchOutcome> onOutcome, string operation = "watch")
    {
        var watcher = new Watcher(this, Interlocked.Increment(ref _nextId), key, fromRevision, onOutcome, operation);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _watchers.Add(watcher.Id, watcher);
            _run ??= Task.Run(RunAsync);
            if (_current is { } stream)
                Create(stream, watcher);
        }
        return watcher;
    }

    private void Create(Stream stream, Watcher watcher)
    {
        watcher.Stream = stream;
        var create = new WatchCreateRequest { Key = watcher.Key, StartRevision = watcher.FromRevision, WatchId = watcher.Id };
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
            if (!watcher.Confirmed && watcher.Stream == stream && _watchers.ContainsKey(watcher.Id))
            {
                _logger.LogDebug("etcd did not confirm a watch within {Timeout} ms; opening the watch stream again", _createTimeout.TotalMilliseconds);
                stream.Abort();
            }
        }
    }

    private void Remove(Watcher watcher, bool cancelOnServer)
    {
        lock (_gate)
        {
            if (!_watchers.Remove(watcher.Id))
                return;
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
            using var stream = new Stream(_stop.Token);
            try
            {
                using var call = _connection.Watches.Watch(RequireLeader, cancellationToken: stream.Token);
                lock (_gate)
                {
                    _current = stream;
                    foreach (var watcher in _watchers.Values)
                        Create(stream, watcher);
                }
                var writer = WriteAsync(call, stream);
                while (await call.ResponseStream.MoveNext(stream.Token).ConfigureAwait(false))
                {
                    Handle(call.ResponseStream.Current);
                    backoff = TimeSpan.FromMilliseconds(50);
                }
                stream.Abort();
                await writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // However the stream broke (RpcException, or a cancellation from inside the gRPC client
                // when a dead connection is torn down), only our own stop ends it.
                _logger.LogDebug(ex, "The etcd watch stream broke; opening it again");
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
        if (response.Events.Any(e => e.Type == Event.Types.EventType.Delete))
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

    /// <summary>One open gRPC watch stream; requests go out through <see cref="Outbox"/> in order.</summary>
    private sealed class Stream(CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);

        public Channel<WatchRequest> Outbox { get; } = Channel.CreateUnbounded<WatchRequest>(new UnboundedChannelOptions { SingleReader = true });
        public CancellationToken Token => _cancel.Token;

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

    private sealed class Watcher(EtcdWatchStream owner, long id, ByteString key, long fromRevision, Action<EtcdWatchOutcome> onOutcome, string operation) : IDisposable
    {
        public string Operation { get; } = operation;
        private int _done;

        public long Id { get; } = id;
        public ByteString Key { get; } = key;
        public long FromRevision { get; } = fromRevision;
        public Stream? Stream { get; set; }
        public volatile bool Confirmed;

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
