using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Coord.Locks.Etcd;

/// <summary>What ended an <see cref="EtcdDeleteWatch"/>.</summary>
internal enum EtcdWatchOutcome
{
    /// <summary>etcd reported the key deleted.</summary>
    Deleted,

    /// <summary>etcd cancelled the watch (revision compacted away, or another reason): read the key again to learn its state.</summary>
    MustReread,
}

/// <summary>
/// Waits for the DELETE of one key from a given revision on, over its own watch stream. A broken
/// stream (the member it ran on died) is opened again, on whichever member the channel picks, from
/// the same revision, so etcd replays a delete that happened in between and none is missed.
/// </summary>
internal sealed class EtcdDeleteWatch : IAsyncDisposable
{
    // etcd cancels watches with this header when their member loses its leader, so a watch on a
    // member cut off from the cluster moves elsewhere instead of waiting silently.
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    private readonly Watch.WatchClient _client;
    private readonly ByteString _key;
    private readonly long _fromRevision;
    private readonly TimeSpan _createTimeout;
    private readonly LockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource<EtcdWatchOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _run = Task.CompletedTask;

    private EtcdDeleteWatch(Watch.WatchClient client, ByteString key, long fromRevision, TimeSpan createTimeout, LockMetrics metrics, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        _client = client;
        _key = key;
        _fromRevision = fromRevision;
        _createTimeout = createTimeout;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Completes when the key is deleted or must be read again; cancelled when the watch is stopped first.</summary>
    public Task<EtcdWatchOutcome> Outcome => _outcome.Task;

    /// <summary>
    /// Starts watching <paramref name="key"/> for a DELETE at or after <paramref name="fromRevision"/>.
    /// A stream whose member does not confirm the watch within <paramref name="createTimeout"/> is
    /// given up and opened again, most likely on another member.
    /// </summary>
    public static EtcdDeleteWatch Start(Watch.WatchClient client, ByteString key, long fromRevision, TimeSpan createTimeout, LockMetrics metrics, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var watch = new EtcdDeleteWatch(client, key, fromRevision, createTimeout, metrics, logger, time, cancellationToken);
        watch._run = Task.Run(watch.RunAsync, CancellationToken.None);
        return watch;
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        try
        {
            while (true)
            {
                _stop.Token.ThrowIfCancellationRequested();
                try
                {
                    if (await WatchOnceAsync().ConfigureAwait(false) is { } outcome)
                    {
                        _outcome.TrySetResult(outcome);
                        return;
                    }
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    // However the stream broke (RpcException, or a cancellation from inside the gRPC client
                    // when a dead connection is torn down), only our own stop ends the watch.
                    _logger.LogDebug(ex, "Watch on etcd key {Key} broke; opening it again from revision {Revision}", _key.ToStringUtf8(), _fromRevision);
                }
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            _outcome.TrySetCanceled(_stop.Token);
        }
        catch (Exception ex)
        {
            _outcome.TrySetException(ex);
        }
    }

    /// <summary>One watch stream: the outcome, or null when the stream ended without one.</summary>
    private async Task<EtcdWatchOutcome?> WatchOnceAsync()
    {
        // A member that accepts connections but does not answer (paused) would hold a new stream
        // forever; until the watch is confirmed, a timer ends the attempt.
        using var unconfirmed = new CancellationTokenSource(_createTimeout, _time);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, unconfirmed.Token);
        using var call = _client.Watch(RequireLeader, cancellationToken: attempt.Token);
        _metrics.Request("watch");
        var create = new WatchCreateRequest { Key = _key, StartRevision = _fromRevision };
        create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, attempt.Token).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(attempt.Token).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.Created)
                unconfirmed.CancelAfter(Timeout.InfiniteTimeSpan);
            if (response.Events.Any(e => e.Type == Event.Types.EventType.Delete))
                return EtcdWatchOutcome.Deleted;
            if (response.Canceled || response.CompactRevision != 0)
                return EtcdWatchOutcome.MustReread;
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
