using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// Locks on an etcd cluster with the algorithm and key layout of etcd's own <c>clientv3/concurrency</c>
/// Mutex, so <c>etcdctl lock</c> and Go services using <c>concurrency.Mutex</c> exclude with Coord.
/// </summary>
/// <remarks>
/// <para>
/// Holds live on a session (<see cref="EtcdSession"/>): one lease per provider and TTL, kept alive
/// over one stream. Acquire is one transaction: if my key <c>&lt;prefix&gt;&lt;encoded name&gt;/&lt;session
/// lease hex&gt;</c> (see <see cref="EtcdLockKeys"/>) does not exist, put it with the holder token as value,
/// and read every key of the lock in creation order. If mine is first, I hold the lock and its create
/// revision is the fencing token. Otherwise I wait, on the lock's queue watch (<see cref="EtcdQueueWatches"/>:
/// one range watch per lock on the provider's one watch stream, reused from wait to wait), until every key
/// created before mine has been deleted: then mine is the first-created, with no further read. Release is one Delete.
/// The line, sessions and waiting are <see cref="EtcdLine"/>'s, shared with <see cref="EtcdSemaphore"/>.
/// </para>
/// <para>
/// A hold that is not renewed by its deadline has its key deleted by this process while the session
/// lives on; a crashed process loses every hold when etcd expires the session lease. Bare leases
/// (<see cref="ILockLeases.TryAcquireLeaseAsync"/>) get a lease of their own, so that any client can renew
/// or release them by holder token.
/// </para>
/// </remarks>
public sealed class EtcdLock : LockProvider
{
    private readonly EtcdLockOptions _options;
    private readonly MutexLine _line;

    /// <summary>Creates the provider. It connects on first use, so an unreachable cluster shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Endpoints, prefix, credentials and timing; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public EtcdLock(EtcdLockOptions options, ILogger<EtcdLock>? logger = null)
        : this(options, (ILogger?)logger)
    {
    }

    /// <summary>The lock with any logger: the inner queue of <see cref="EtcdLeaderElection"/> logs as the election does.</summary>
    internal EtcdLock(EtcdLockOptions options, ILogger? logger)
        : base(options, logger)
    {
        _options = options;
        Endpoint = string.Join(",", options.Endpoints);
        _line = new MutexLine(options, Endpoint, Metrics, Logger);
    }

    /// <inheritdoc/>
    public override string Backend => "etcd";
    /// <inheritdoc/>
    public override string Endpoint { get; }

    /// <summary>
    /// Every etcd request goes through <see cref="EtcdConnection.SendAsync"/>, which bounds each attempt and
    /// all of them together by <see cref="LockOptions.ConnectTimeout"/>; a session opens within that bound
    /// too, and a waiter stops at the caller's wait. So the provider arms no timer of its own per call.
    /// </summary>
    protected override bool BoundsEveryCall => true;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => _line.AcquireAsync(request, cancellationToken);

    /// <inheritdoc/>
    protected override Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
        => _line.AbandonAsync(request, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _line.RenewAsync(name, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => _line.ReleaseAsync(name, holderToken, cancellationToken);

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var connection = _line.Connection;
        var first = EtcdLine.Line(new EtcdLockKeys(_options.Prefix, name));
        first.Limit = 1; // the holder's key only
        var response = await connection.SendAsync("status", ct => connection.Kv.RangeAsync(first, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (response.Kvs.FirstOrDefault() is not { } owner)
            return new LockStatus(name, false, null, null);
        TimeSpan? expiresIn = null;
        if (owner.Lease != 0)
        {
            var lease = await connection.SendAsync("status", ct => connection.Leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = owner.Lease }, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            if (lease.TTL > 0)
                expiresIn = TimeSpan.FromSeconds(lease.TTL);
        }
        return new LockStatus(name, true, expiresIn, owner.CreateRevision);
    }

    /// <summary>An election's campaign: the lock's line with the candidate's value on its key.</summary>
    internal Task<LockGrant?> CampaignAsync(LockRequest request, ByteString value, CancellationToken cancellationToken)
        => _line.AcquireAsync(request, cancellationToken, value);

    /// <summary>Withdraws an election's candidacy as an abandoned acquire is.</summary>
    internal Task WithdrawAsync(LockRequest request, CancellationToken cancellationToken) => AbandonAcquireAsync(request, cancellationToken);

    /// <summary>Renews an election's leadership as a lock hold is renewed.</summary>
    internal Task<bool> RenewHoldAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => RenewCoreAsync(name, holderToken, ttl, cancellationToken);

    /// <summary>Resigns an election's leadership (or candidacy) as a lock hold is released: its key deleted.</summary>
    internal Task<bool> ReleaseHoldAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ReleaseCoreAsync(name, holderToken, cancellationToken);

    /// <summary>This provider's hold of <paramref name="name"/> by <paramref name="holderToken"/>, if it has one.</summary>
    internal EtcdHold? LocalHold(string name, string holderToken) => _line.LocalHold(name, holderToken);

    /// <summary>The provider's transport, for an election's reads of the leader.</summary>
    internal EtcdConnection Connection => _line.Connection;

    /// <summary>The provider's one watch stream, for an election's observers.</summary>
    internal EtcdWatchStream Watches => _line.Watches;

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _line.DisposeAsync();

    /// <summary>The mutex's line: one key per session and lock, <c>&lt;prefix&gt;&lt;encoded name&gt;/&lt;lease hex&gt;</c>, as etcd's own mutex.</summary>
    private sealed class MutexLine(EtcdLockOptions options, string endpoint, LockMetrics metrics, ILogger logger) : EtcdLine(options, endpoint, metrics, logger)
    {
        protected override EtcdLockKeys KeysOf(string name) => new(Options.Prefix, name);

        protected override ByteString HoldKey(LockRequest request, EtcdLockKeys keys, long leaseId) => ByteString.CopyFromUtf8(keys.KeyFor(leaseId));
    }
}
