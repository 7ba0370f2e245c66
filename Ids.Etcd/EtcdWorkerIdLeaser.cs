using System.Globalization;
using Coord.Locks;
using Coord.Locks.Etcd;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// Leases Snowflake worker ids from etcd: each lease is an etcd lease of its own, and the id is the key
/// <c>&lt;prefix&gt;&lt;pool&gt;/holder/&lt;id&gt;</c> bound to it, taken with a transaction that puts it only
/// if it does not exist. The last timestamp lives in <c>.../last/&lt;id&gt;</c>, a key without a lease, so it
/// outlives every holder; it is raised to a reservation (the owner's clock plus the lease duration) on
/// every renewal, and replaced by the exact last timestamp issued on a clean release. etcd expires the
/// lease of a holder that stops renewing and deletes its key with it.
/// </summary>
/// <remarks>Uses Coord's own etcd transport (<see cref="EtcdConnection"/>): requests move to another member when one fails.</remarks>
public sealed class EtcdWorkerIdLeaser : IWorkerIdLeaser
{
    private readonly EtcdWorkerIdOptions _options;
    private readonly EtcdConnection _connection;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _keyPrefix;

    /// <summary>Creates the leaser; it connects on first use.</summary>
    /// <param name="options">Endpoints, prefix, pool, credentials and lease timing; validated here.</param>
    /// <param name="timeProvider">Clock for lease timing and stored timestamps; null is the system clock.</param>
    /// <param name="logger">Where renewal failures are logged; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message says what is allowed.</exception>
    public EtcdWorkerIdLeaser(EtcdWorkerIdOptions options, TimeProvider? timeProvider = null, ILogger<EtcdWorkerIdLeaser>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _keyPrefix = $"{options.Prefix}{options.Pool}/";
        var transport = new EtcdLockOptions
        {
            Endpoints = options.Endpoints,
            Username = options.Username,
            Password = options.Password,
            ConfigureTls = options.ConfigureTls,
            ConnectTimeout = options.CommandTimeout,
            AttemptTimeout = options.CommandTimeout < TimeSpan.FromSeconds(1) ? options.CommandTimeout : TimeSpan.FromSeconds(1),
            TimeProvider = _time,
        };
        transport.Validate();
        Endpoint = string.Join(",", options.Endpoints);
        _connection = new EtcdConnection(transport, Endpoint, new LockMetrics("etcd-worker-ids"), _logger);
    }

    /// <summary>The members' client URLs, comma-separated, for messages.</summary>
    public string Endpoint { get; }

    /// <inheritdoc/>
    public string Description => $"etcd {Endpoint} (keys {_keyPrefix}*)";

    internal TimeSpan LeaseDuration => _options.LeaseDuration;
    internal TimeProvider Time => _time;
    internal ILogger Logger => _logger;

    /// <inheritdoc/>
    public async Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxWorkerId);
        var owner = Guid.NewGuid();
        // An id chosen here makes a grant sent again after a lost answer find its own lease.
        var leaseId = Random.Shared.NextInt64(1, long.MaxValue);
        var sent = _time.GetTimestamp();
        await _connection.GrantLeaseAsync("worker-id grant", leaseId, (long)_options.LeaseDuration.TotalSeconds, cancellationToken).ConfigureAwait(false);
        try
        {
            var reserve = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_options.LeaseDuration.TotalMilliseconds;
            var taken = await TakenIdsAsync(cancellationToken).ConfigureAwait(false);
            for (var workerId = 0; workerId <= maxWorkerId; workerId++)
            {
                if (taken.Contains(workerId))
                    continue;
                if (await TryTakeAsync(workerId, owner, leaseId, cancellationToken).ConfigureAwait(false) is not { } createRevision)
                    continue;
                var hold = new EtcdWorkerIdHold(this, leaseId, createRevision);
                var lastIssued = await RaiseLastAsync(workerId, createRevision, reserve, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Worker id {workerId} on {Description} was lost while it was being leased (its etcd lease expired); try again.");
                _logger.LogInformation("Leased Snowflake worker id {WorkerId} from {Store}; last stored timestamp {LastTimestampMs}.", workerId, Description, lastIssued);
                return new RenewingWorkerIdLease(hold, workerId, owner, lastIssued, sent, session: hold);
            }
            throw new WorkerIdsExhaustedException(maxWorkerId + 1, _options.Pool, Description);
        }
        catch
        {
            await RevokeQuietlyAsync(leaseId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the connection to the cluster. Leases already handed out stop renewing and expire after <see cref="EtcdWorkerIdOptions.LeaseDuration"/>.</summary>
    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    internal ByteString HolderKey(int workerId) => ByteString.CopyFromUtf8(_keyPrefix + "holder/" + workerId.ToString(CultureInfo.InvariantCulture));

    internal ByteString LastKey(int workerId) => ByteString.CopyFromUtf8(_keyPrefix + "last/" + workerId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sends one keep-alive; false when etcd no longer knows the lease.</summary>
    internal async Task<bool> KeepAliveAsync(long leaseId, CancellationToken cancellationToken)
        => await _connection.SendAsync("worker-id keep-alive", ct => _connection.KeepAliveOnceAsync(leaseId, ct), cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>
    /// Raises the stored timestamp of <paramref name="workerId"/> to at least <paramref name="reserveUnixMs"/>
    /// while the holder key is still the one created at <paramref name="createRevision"/>. Returns the
    /// value stored before, or null when the key is no longer ours.
    /// </summary>
    internal async Task<long?> RaiseLastAsync(int workerId, long createRevision, long reserveUnixMs, CancellationToken cancellationToken)
    {
        var holder = HolderKey(workerId);
        var last = LastKey(workerId);
        while (true)
        {
            var read = new TxnRequest();
            read.Compare.Add(HeldBy(holder, createRevision));
            read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = last } });
            var seen = await _connection.SendAsync("worker-id read", ct => _connection.Kv.TxnAsync(read, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (!seen.Succeeded)
                return null;
            var stored = seen.Responses[0].ResponseRange.Kvs.FirstOrDefault();
            var value = stored is null ? 0 : long.Parse(stored.Value.ToStringUtf8(), CultureInfo.InvariantCulture);
            if (value >= reserveUnixMs)
                return value;
            var write = new TxnRequest();
            write.Compare.Add(HeldBy(holder, createRevision));
            // A key that does not exist compares as modified at revision 0.
            write.Compare.Add(new Compare { Key = last, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = stored?.ModRevision ?? 0 });
            write.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = last, Value = Number(reserveUnixMs) } });
            var written = await _connection.SendAsync("worker-id reserve", ct => _connection.Kv.TxnAsync(write, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (written.Succeeded)
                return value;
            // The holder key changed (the next read says so) or a lost answer's earlier attempt already wrote: read again.
        }
    }

    /// <summary>Stores the exact last timestamp and deletes the holder key, if it is still ours.</summary>
    internal Task ReleaseAsync(int workerId, long createRevision, long lastIssuedUnixMs, CancellationToken cancellationToken)
    {
        var holder = HolderKey(workerId);
        var release = new TxnRequest();
        release.Compare.Add(HeldBy(holder, createRevision));
        release.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = LastKey(workerId), Value = Number(lastIssuedUnixMs) } });
        release.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = holder } });
        return _connection.SendAsync("worker-id release", ct => _connection.Kv.TxnAsync(release, cancellationToken: ct).ResponseAsync, cancellationToken);
    }

    internal async Task RevokeQuietlyAsync(long leaseId)
    {
        try
        {
            await _connection.RevokeAsync("worker-id revoke", leaseId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Unrevoked, the lease expires by itself within its TTL.
            _logger.LogDebug(ex, "Revoking etcd lease {LeaseId} failed; it expires by itself", leaseId);
        }
    }

    private async Task<HashSet<int>> TakenIdsAsync(CancellationToken cancellationToken)
    {
        var from = ByteString.CopyFromUtf8(_keyPrefix + "holder/");
        var to = ByteString.CopyFromUtf8(_keyPrefix + "holder0"); // '0' follows '/': the end of every key under the prefix
        var range = await _connection.SendAsync("worker-id scan",
            ct => _connection.Kv.RangeAsync(new RangeRequest { Key = from, RangeEnd = to, KeysOnly = true }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        var taken = new HashSet<int>();
        foreach (var kv in range.Kvs)
        {
            if (int.TryParse(kv.Key.ToStringUtf8().AsSpan(from.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                taken.Add(id);
        }
        return taken;
    }

    /// <summary>Puts the holder key if it does not exist; its create revision when it is ours, null when another holder has it.</summary>
    private async Task<long?> TryTakeAsync(int workerId, Guid owner, long leaseId, CancellationToken cancellationToken)
    {
        var holder = HolderKey(workerId);
        var mine = ByteString.CopyFromUtf8(owner.ToString("N"));
        var take = new TxnRequest();
        take.Compare.Add(new Compare { Key = holder, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        take.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = holder, Value = mine, Lease = leaseId } });
        take.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = holder } });
        var response = await _connection.SendAsync("worker-id take", ct => _connection.Kv.TxnAsync(take, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Succeeded)
            return response.Header.Revision;
        // Sent again after a lost answer, the transaction finds the key its first attempt put.
        var existing = response.Responses[0].ResponseRange.Kvs.FirstOrDefault();
        return existing is not null && existing.Value == mine && existing.Lease == leaseId ? existing.CreateRevision : null;
    }

    private static Compare HeldBy(ByteString holder, long createRevision)
        => new() { Key = holder, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = createRevision };

    private static ByteString Number(long value) => ByteString.CopyFromUtf8(value.ToString(CultureInfo.InvariantCulture));
}
