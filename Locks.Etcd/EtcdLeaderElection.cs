using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Coord.Locks.Etcd;

/// <summary>
/// Leader elections on an etcd cluster with the layout of etcd's own <c>clientv3/concurrency</c> Election, so
/// <c>etcdctl elect</c> and Go services using <c>concurrency.Election</c> take part in the same elections.
/// </summary>
/// <remarks>
/// <para>
/// A candidate puts <c>&lt;election&gt;/&lt;session lease id in hex&gt;</c> with its value on its session's lease
/// (<see cref="EtcdLockKeys"/>, under <see cref="EtcdLockOptions.Prefix"/>); the key with the lowest create
/// revision leads, and the others wait for the deletion of every key created before theirs. That is exactly the
/// queue of <see cref="EtcdLock"/>, so a campaign runs through it (session, one enqueue transaction, the shared
/// watch of deletes, the hold's own deadline, withdrawal), with the value on the key instead of a holder token.
/// </para>
/// <para>
/// The term is the leader key's create revision: the leader is the oldest key, a key only leaves, and every key
/// created later has a higher revision, so each new leader's key is newer than every earlier leader's. Proclaim
/// puts a new value on the key only while it is still the one created at that revision; resign deletes it.
/// </para>
/// </remarks>
public sealed class EtcdLeaderElection : LeaderElectionProvider
{
    private readonly EtcdLock _queue;
    private readonly string _prefix;

    /// <summary>Creates the provider. It connects on first use, so an unreachable cluster shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Endpoints, prefix, credentials and timing; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public EtcdLeaderElection(EtcdLeaderElectionOptions options, ILogger<EtcdLeaderElection>? logger = null)
        : base(options, logger)
    {
        _queue = new EtcdLock(options, (ILogger?)logger);
        _prefix = options.Prefix;
        Endpoint = _queue.Endpoint;
    }

    /// <inheritdoc/>
    public override string Backend => "etcd";

    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>Every request goes through the lock's transport, which bounds each one (see <see cref="EtcdLock"/>).</summary>
    protected override bool BoundsEveryCall => true;

    /// <summary>The etcd keys of <paramref name="election"/>: <see cref="EtcdLockKeys.MutexName"/> is the name <c>etcdctl elect</c> takes.</summary>
    /// <param name="election">The Coord election name.</param>
    /// <returns>Its keys under this provider's prefix.</returns>
    public EtcdLockKeys KeysOf(string election) => new(_prefix, election);

    /// <inheritdoc/>
    /// <remarks>
    /// A bare lease (<see cref="LeaderElectionProvider.TryCampaignLeaseAsync"/>) keeps the candidate's value on its key, as
    /// <c>concurrency.Election</c> does, so nothing there names the holder token: a leadership key of its own, on the
    /// same lease, maps the token to the election key, so that any process can renew or resign it by token.
    /// </remarks>
    protected override async Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        var grant = await _queue.CampaignAsync(request, ByteString.CopyFromUtf8(value), cancellationToken).ConfigureAwait(false);
        if (grant is null || !request.IsBareLease || EtcdLine.HoldOf(request) is not { } hold)
            return grant;
        // Only while the election key is still ours: a lease that ran out meanwhile leaves no mapping behind.
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = hold.CreateRevision });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = LeadershipKey(request.HolderToken), Value = hold.Key, Lease = hold.LeaseId } });
        var connection = _queue.Connection;
        var response = await connection.SendAsync("campaign", ct => connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
            throw new LockBackendException($"Election '{request.Name}': the etcd key of the new leadership was gone before its holder token could be recorded (its lease expired).", request.Name, Backend, Endpoint);
        return grant;
    }

    /// <summary>Where a bare leadership's holder token leads to its election key: outside every election's range (no name holds a control character).</summary>
    private ByteString LeadershipKey(string holderToken) => ByteString.CopyFromUtf8(_prefix + "\u0001leadership/" + holderToken);

    /// <summary>The bare leadership of <paramref name="holderToken"/> in <paramref name="election"/>: its election key and lease, or null.</summary>
    private async Task<(ByteString Key, long Lease)?> FindBareAsync(string election, string holderToken, string operation, CancellationToken cancellationToken)
    {
        var connection = _queue.Connection;
        var response = await connection.SendAsync(operation, ct => connection.Kv.RangeAsync(new RangeRequest { Key = LeadershipKey(holderToken) }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.FirstOrDefault() is not { Lease: not 0 } mapping || !mapping.Value.Span.StartsWith(KeysOf(election).KeyPrefixBytes.Span))
            return null;
        return (mapping.Value, mapping.Lease);
    }

    /// <inheritdoc/>
    protected override Task AbandonCampaignAsync(LockRequest request, CancellationToken cancellationToken)
        => _queue.WithdrawAsync(request, cancellationToken);

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_queue.LocalHold(election, holderToken) is not null)
            return await _queue.RenewHoldAsync(election, holderToken, ttl, cancellationToken).ConfigureAwait(false);
        if (await FindBareAsync(election, holderToken, "renew", cancellationToken).ConfigureAwait(false) is not { } bare)
            return false;
        var connection = _queue.Connection;
        var left = await connection.SendAsync("renew", ct => connection.KeepAliveOnceAsync(bare.Lease, ct), cancellationToken).ConfigureAwait(false);
        if (left <= 0)
            return false;
        if (left < EtcdLine.LeaseSeconds(ttl))
        {
            throw new LockException(
                $"Election '{election}': its etcd lease was granted for {left} s and etcd cannot lengthen a lease; renew with a TTL of at most {left} s (it was renewed for {left} s).",
                election, Backend, Endpoint);
        }
        return true;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        if (_queue.LocalHold(election, holderToken) is not null)
            return await _queue.ReleaseHoldAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        if (await FindBareAsync(election, holderToken, "resign", cancellationToken).ConfigureAwait(false) is not { } bare)
            return false;
        // The lease is the bare leadership's own: revoking it deletes the election key and the mapping at once.
        var connection = _queue.Connection;
        return await connection.RevokeAsync("resign", bare.Lease, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
    {
        if (_queue.LocalHold(election, holderToken) is not { CreateRevision: > 0 } hold || hold.Gone.IsCancellationRequested)
            return false;
        // As concurrency.Election.Proclaim: only while the key is still the one this leadership created.
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = hold.CreateRevision });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = hold.Key, Value = ByteString.CopyFromUtf8(value), Lease = hold.LeaseId } });
        var connection = _queue.Connection;
        var response = await connection.SendAsync("proclaim", ct => connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
            hold.MarkGone("its etcd key was gone when it proclaimed a value (lease revoked or expired, or the key deleted from outside)");
        return response.Succeeded;
    }

    /// <inheritdoc/>
    protected override async Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
    {
        var keys = KeysOf(election);
        var first = Candidates(keys);
        first.Limit = 1;
        var connection = _queue.Connection;
        var response = await connection.SendAsync("leader", ct => connection.Kv.RangeAsync(first, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Kvs.FirstOrDefault() is { } leader ? new ElectionLeader(election, leader.Value.ToStringUtf8(), leader.CreateRevision) : null;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One read of every candidate with its value, then a watch of the election's keys (PUTs and DELETEs) from just after
    /// that read, on the provider's watch stream: the candidates are kept here, and the oldest is the leader after each
    /// batch of events. The watch is created again from its last event if its stream breaks, so no change is missed;
    /// if etcd cancels it (its revision compacted away), the candidates are read again.
    /// </remarks>
    protected override async IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = KeysOf(election);
        var connection = _queue.Connection;
        while (true)
        {
            var read = await connection.SendAsync("observe", ct => connection.Kv.RangeAsync(Candidates(keys), cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            var candidates = read.Kvs.ToDictionary(kv => kv.Key);
            var changes = Channel.CreateUnbounded<RepeatedField<Event>?>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var watch = _queue.Watches.WatchRange(keys.KeyPrefixBytes, keys.RangeEnd, read.Header.Revision + 1,
                events => changes.Writer.TryWrite(events), _ => changes.Writer.TryWrite(null), "observe", withPuts: true);
            if (Leader(election, candidates) is { } now)
                yield return now;
            while (await changes.Reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } events)
            {
                foreach (var e in events)
                {
                    if (e.Type == Event.Types.EventType.Put)
                        candidates[e.Kv.Key] = e.Kv;
                    else
                        candidates.Remove(e.Kv.Key);
                }
                if (Leader(election, candidates) is { } leader)
                    yield return leader;
            }
            Logger.LogDebug("The etcd watch observing election {Election} was cancelled by etcd; reading its candidates again", election);
        }
    }

    /// <summary>The oldest candidate: the leader, as etcd's <c>Election.Leader</c> finds it.</summary>
    private static ElectionLeader? Leader(string election, Dictionary<ByteString, KeyValue> candidates)
    {
        KeyValue? first = null;
        foreach (var kv in candidates.Values)
        {
            if (first is null || kv.CreateRevision < first.CreateRevision)
                first = kv;
        }
        return first is null ? null : new ElectionLeader(election, first.Value.ToStringUtf8(), first.CreateRevision);
    }

    /// <summary>Every candidate of the election with its value, oldest first (etcd's <c>WithFirstCreate</c> order).</summary>
    private static RangeRequest Candidates(EtcdLockKeys keys) => new()
    {
        Key = keys.KeyPrefixBytes,
        RangeEnd = keys.RangeEnd,
        SortTarget = RangeRequest.Types.SortTarget.Create,
        SortOrder = RangeRequest.Types.SortOrder.Ascend,
    };

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync() => await _queue.DisposeAsync().ConfigureAwait(false);
}
