using System.Globalization;
using System.Text;
using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// Leases Snowflake worker ids from ZooKeeper, as Leaf does: each lease opens a session of its own and
/// holds the id as the ephemeral node <c>&lt;root&gt;/&lt;pool&gt;/holders/&lt;id&gt;</c>, which the server deletes
/// when the session ends or expires. The last timestamp lives in the persistent node <c>.../last/&lt;id&gt;</c>:
/// raised to a reservation (the owner's clock plus the session timeout) on every renewal, replaced by
/// the exact last timestamp issued on a clean release. A renewal is a request on the session, so the
/// server has heard from it since the renewal was sent and cannot expire it for a session timeout.
/// </summary>
/// <remarks>Uses Coord's own ZooKeeper client (<see cref="ZooKeeperClient"/>).</remarks>
public sealed class ZooKeeperWorkerIdLeaser : IWorkerIdLeaser
{
    private readonly ZooKeeperWorkerIdOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _pool;
    // A session that found every id taken is kept for the next try, so a starter polling for a free id
    // does not open and close a session (two writes on the ensemble, a connection slot) each time.
    private ZooKeeperClient? _spare;

    /// <summary>Creates the leaser; it connects on first use.</summary>
    /// <param name="options">Ensemble, root, pool and session timing; validated here.</param>
    /// <param name="timeProvider">Clock for lease timing and stored timestamps; null is the system clock.</param>
    /// <param name="logger">Where renewal failures are logged; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message says what is allowed.</exception>
    public ZooKeeperWorkerIdLeaser(ZooKeeperWorkerIdOptions options, TimeProvider? timeProvider = null, ILogger<ZooKeeperWorkerIdLeaser>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _pool = $"{options.Root}/{options.Pool}";
    }

    /// <inheritdoc/>
    public string Description => $"ZooKeeper {_options.ConnectString} (nodes {_pool}/…)";

    internal TimeProvider Time => _time;
    internal ILogger Logger => _logger;

    internal string HolderPath(int workerId) => $"{_pool}/holders/{workerId.ToString(CultureInfo.InvariantCulture)}";

    internal string LastPath(int workerId) => $"{_pool}/last/{workerId.ToString(CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    public async Task<WorkerIdLease> AcquireAsync(int maxWorkerId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxWorkerId);
        var client = await SessionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = new ZooKeeperWorkerIdSession(this, client);
            var owner = Guid.NewGuid();
            var sent = _time.GetTimestamp();
            var reserve = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)client.SessionTimeout.TotalMilliseconds;
            var taken = await TakenIdsAsync(client, cancellationToken).ConfigureAwait(false);
            for (var workerId = 0; workerId <= maxWorkerId; workerId++)
            {
                if (taken.Contains(workerId.ToString(CultureInfo.InvariantCulture)) || !await TryTakeAsync(client, workerId, owner, cancellationToken).ConfigureAwait(false))
                    continue;
                var lastIssued = await session.RaiseLastAsync(workerId, reserve, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Worker id {workerId} on {Description} was lost while it was being leased (its session ended); try again.");
                _logger.LogInformation("Leased Snowflake worker id {WorkerId} from {Store} (session 0x{SessionId:x}); last stored timestamp {LastTimestampMs}.",
                    workerId, Description, client.SessionId, lastIssued);
                return new RenewingWorkerIdLease(session, workerId, owner, lastIssued, sent, session: session);
            }
            throw new WorkerIdsExhaustedException(maxWorkerId + 1, _options.Pool, Description);
        }
        catch (WorkerIdsExhaustedException)
        {
            // This session made no node: keep it for the next try.
            if (Interlocked.CompareExchange(ref _spare, client, null) is not null)
                await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false); // closing the session deletes any node it made
            throw;
        }
    }

    /// <summary>Sessions of live leases belong to them; the leaser closes only a spare one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _spare, null) is { } spare)
            await spare.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<ZooKeeperClient> SessionAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _spare, null) is { } spare)
        {
            if (spare.State == ZooKeeperState.SyncConnected)
                return spare;
            await spare.DisposeAsync().ConfigureAwait(false);
        }
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (client.SessionTimeout != _options.LeaseDuration)
            _logger.LogInformation("ZooKeeper {ConnectString} granted a session timeout of {Granted} ms instead of {Asked} ms; worker id leases count from it.",
                _options.ConnectString, client.SessionTimeout.TotalMilliseconds, _options.LeaseDuration.TotalMilliseconds);
        return client;
    }

    private async Task<ZooKeeperClient> ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
            {
                ConnectString = _options.ConnectString,
                SessionTimeout = _options.LeaseDuration,
                RequestTimeout = _options.CommandTimeout,
                ConnectTimeout = _options.CommandTimeout,
                TimeProvider = _time,
                Logger = _logger,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
        {
            throw new TimeoutException($"ZooKeeper {_options.ConnectString} did not answer within {_options.CommandTimeout.TotalSeconds:0.#} s while leasing a Snowflake worker id.", ex);
        }
    }

    private async Task<HashSet<string>> TakenIdsAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        try
        {
            return [.. (await client.GetChildrenAsync($"{_pool}/holders", cancellationToken: cancellationToken).ConfigureAwait(false)).Children];
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            await CreateParentsAsync(client, cancellationToken).ConfigureAwait(false);
            return [];
        }
    }

    private async Task CreateParentsAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        var path = "";
        foreach (var name in _pool[1..].Split('/'))
        {
            path += "/" + name;
            await CreateIfMissingAsync(client, path, cancellationToken).ConfigureAwait(false);
        }
        await CreateIfMissingAsync(client, $"{_pool}/holders", cancellationToken).ConfigureAwait(false);
        await CreateIfMissingAsync(client, $"{_pool}/last", cancellationToken).ConfigureAwait(false);
    }

    private static async Task CreateIfMissingAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateAsync(path, null, ZooKeeperCreateMode.Persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
            // made by another starter, or by an earlier attempt whose answer was lost
        }
    }

    /// <summary>Creates the holder node on this session; false when another session holds it.</summary>
    private async Task<bool> TryTakeAsync(ZooKeeperClient client, int workerId, Guid owner, CancellationToken cancellationToken)
    {
        var path = HolderPath(workerId);
        try
        {
            await client.CreateAsync(path, Encoding.UTF8.GetBytes(owner.ToString("N")), ZooKeeperCreateMode.Ephemeral, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NodeExists or ZooKeeperErrorCode.ConnectionLoss)
        {
            // After a lost answer the create may have applied: the node is ours if this session owns it.
            try
            {
                var node = await client.GetDataAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                return node.Stat.EphemeralOwner == client.SessionId;
            }
            catch (ZooKeeperException gone) when (gone.Code == ZooKeeperErrorCode.NoNode && ex.Code == ZooKeeperErrorCode.NodeExists)
            {
                return false; // its holder has just released it; the next acquire may take it
            }
        }
    }
}
