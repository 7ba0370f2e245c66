using System.Collections.Concurrent;
using Coord.Locks.Etcd;
using Coord.Stress.Servers;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mvccpb;

namespace Coord.Stress.Targets;

/// <summary>
/// Anchor: the fewest requests etcd's mutex layout allows, driven with raw gRPC and no library logic,
/// on the same etcd as Coord. Each client grants one lease when it starts and reuses it for every hold.
/// A hold is one transaction (put <c>&lt;prefix&gt;&lt;name&gt;/&lt;lease hex&gt;</c> on the lease if it does not
/// exist; read the first-created key and the two newest) and a release is one Delete.
/// </summary>
/// <remarks>
/// Contended, a client does what etcd's <c>concurrency.Mutex</c> must at least do: it watches its
/// predecessor's DELETE on one long-lived watch stream of its own, from the transaction's revision, takes
/// the lock at once when the deleted key was the owner, and otherwise reads once more for a new
/// predecessor. The lease is granted for an hour and never kept alive (runs are minutes long), and no
/// client checks for a lost hold: the floor leaves out everything but the requests.
/// </remarks>
public sealed class EtcdFloorTarget(StressEtcd etcd, string keyPrefix)
    : LockTarget("etcd-floor", "etcd gRPC floor", isPeer: true, etcd.Counters())
{
    private readonly string _prefix = StressEtcd.Prefix(keyPrefix);
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);

    public override bool SupportsFencing => true;

    public override async Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var client = new Client(new EtcdClient(etcd.Endpoints[0], configureChannelOptions: SameChannelAsCoord), _prefix, Count);
        await client.StartAsync(cancellationToken).ConfigureAwait(false);
        return client;
    }

    public override IReadOnlyDictionary<string, long> ClientRequestCounts() => new Dictionary<string, long>(_requests, StringComparer.Ordinal);

    private void Count(string operation) => _requests.AddOrUpdate(operation, 1, (_, n) => n + 1);

    /// <summary>
    /// The channel Coord's etcd connection opens to a member (Locks/Etcd/EtcdMemberChannel), so the two
    /// differ only in what they send: one member, no gRPC retry policy, HTTP/2 pings 6 s + 4 s while calls are open.
    /// </summary>
    private static void SameChannelAsCoord(GrpcChannelOptions channel)
    {
        channel.ServiceConfig = null;
        channel.HttpHandler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(6),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(4),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
    }

    private sealed class Client(EtcdClient etcd, string prefix, Action<string> count) : ILockClient
    {
        private readonly KV.KVClient _kv = etcd.GetConnection().KVClient;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<long, TaskCompletionSource> _deletes = new();
        private AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? _watch;
        private readonly SemaphoreSlim _writeWatch = new(1, 1);
        private Task _reader = Task.CompletedTask;
        private long _leaseId;
        private long _nextWatchId;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _leaseId = Random.Shared.NextInt64(1, long.MaxValue);
            count("lease");
            await etcd.GetConnection().LeaseClient.LeaseGrantAsync(new LeaseGrantRequest { ID = _leaseId, TTL = (long)LeaseTtl.TotalSeconds }, cancellationToken: cancellationToken);
            _watch = etcd.GetConnection().WatchClient.Watch(cancellationToken: _stop.Token);
            _reader = Task.Run(ReadWatchAsync, CancellationToken.None);
        }

        private async Task ReadWatchAsync()
        {
            try
            {
                while (await _watch!.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
                {
                    var response = _watch.ResponseStream.Current;
                    if (response.Events.Any(e => e.Type == Event.Types.EventType.Delete) && _deletes.TryRemove(response.WatchId, out var deleted))
                        deleted.TrySetResult();
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
        }

        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var keys = new EtcdLockKeys(prefix, name);
            var key = ByteString.CopyFromUtf8(keys.KeyFor(_leaseId));
            var range = ByteString.CopyFromUtf8(keys.KeyPrefix);
            var rangeEnd = PrefixEnd(range);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Lease = _leaseId } });
            txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = range, RangeEnd = rangeEnd, SortTarget = RangeRequest.Types.SortTarget.Create, SortOrder = RangeRequest.Types.SortOrder.Ascend, Limit = 1, KeysOnly = true } });
            txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = range, RangeEnd = rangeEnd, SortTarget = RangeRequest.Types.SortTarget.Create, SortOrder = RangeRequest.Types.SortOrder.Descend, Limit = 2, KeysOnly = true } });
            count("acquire");
            var response = await _kv.TxnAsync(txn, cancellationToken: cancellationToken);
            if (!response.Succeeded)
                throw new InvalidOperationException($"etcd-floor: key {key.ToStringUtf8()} already exists; a client holds one name at a time.");
            var mine = response.Header.Revision;
            var owner = response.Responses[1].ResponseRange.Kvs[0];
            var held = new Held(this, key, mine);
            if (owner.Key == key)
                return held;

            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(wait);
            var predecessor = response.Responses[2].ResponseRange.Kvs.First(kv => kv.CreateRevision < mine).Key;
            var predecessorIsOwner = predecessor == owner.Key;
            var revision = mine;
            try
            {
                while (true)
                {
                    await WaitForDeleteAsync(predecessor, revision + 1, bound.Token).ConfigureAwait(false);
                    if (predecessorIsOwner)
                        return held;
                    count("acquire");
                    var check = new TxnRequest();
                    check.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = range, RangeEnd = rangeEnd, SortTarget = RangeRequest.Types.SortTarget.Create, SortOrder = RangeRequest.Types.SortOrder.Ascend, Limit = 1, KeysOnly = true } });
                    check.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = range, RangeEnd = rangeEnd, SortTarget = RangeRequest.Types.SortTarget.Create, SortOrder = RangeRequest.Types.SortOrder.Descend, Limit = 1, MaxCreateRevision = mine - 1, KeysOnly = true } });
                    var again = await _kv.TxnAsync(check, cancellationToken: bound.Token);
                    if (again.Responses[1].ResponseRange.Kvs.FirstOrDefault() is not { } before)
                        return held;
                    predecessor = before.Key;
                    predecessorIsOwner = again.Responses[0].ResponseRange.Kvs[0].Key == before.Key;
                    revision = again.Header.Revision;
                }
            }
            catch (Exception) when (bound.IsCancellationRequested)
            {
                await held.ReleaseAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                return null;
            }
        }

        private async Task WaitForDeleteAsync(ByteString key, long fromRevision, CancellationToken cancellationToken)
        {
            var id = Interlocked.Increment(ref _nextWatchId);
            var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _deletes[id] = deleted;
            var create = new WatchCreateRequest { Key = key, StartRevision = fromRevision, WatchId = id };
            create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
            count("watch");
            await WriteWatchAsync(new WatchRequest { CreateRequest = create }).ConfigureAwait(false);
            try
            {
                await deleted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _deletes.TryRemove(id, out _);
                count("watch-cancel");
                await WriteWatchAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = id } }).ConfigureAwait(false);
            }
        }

        private async Task WriteWatchAsync(WatchRequest request)
        {
            await _writeWatch.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                await _watch!.RequestStream.WriteAsync(request, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeWatch.Release();
            }
        }

        public async Task ReleaseKeyAsync(ByteString key)
        {
            count("release");
            await _kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key });
        }

        private static ByteString PrefixEnd(ByteString prefix)
        {
            var bytes = prefix.ToByteArray();
            bytes[^1]++;
            return ByteString.CopyFrom(bytes);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await etcd.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = _leaseId });
            }
            catch (RpcException)
            {
                // The lease expires by itself within the hour.
            }
            await _stop.CancelAsync().ConfigureAwait(false);
            await _reader.ConfigureAwait(false);
            _watch?.Dispose();
            etcd.Dispose();
            _stop.Dispose();
            _writeWatch.Dispose();
        }
    }

    private sealed class Held(Client client, ByteString key, long revision) : IHeldLock
    {
        public long? FencingToken => revision;
        public bool IsLost => false;
        public ValueTask ReleaseAsync() => new(client.ReleaseKeyAsync(key));
    }
}
