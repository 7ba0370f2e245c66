using System.Collections.Concurrent;
using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Locks on a ZooKeeper ensemble with the ephemeral-sequential recipe, compatible with Apache
/// Curator's InterProcessMutex (paths: <see cref="ZooKeeperLockPaths"/>). Contenders queue by
/// sequence number; the lowest holds; each waiter watches only its immediate predecessor, so a
/// release wakes exactly one waiter. Fencing token = the czxid of our node.
/// </summary>
/// <remarks>
/// <para>
/// <b>One session per hold.</b> Each acquire opens its own ZooKeeper session whose timeout is the
/// requested TTL, and closes it on release (which deletes the node at once). This is what lets the
/// TTL be per call (a ZooKeeper session timeout cannot change once granted), lets one hold expire
/// without taking others down, and makes a hold behave exactly like a lease: once granted, the
/// session stops its own pings and lives only on the holder's renewals (an <c>exists</c> on its node
/// every TTL/3), so a holder that stops renewing, or a bare lease nobody renews, is expired by the
/// server one TTL later. The cost is one connect handshake per acquisition.
/// </para>
/// <para>
/// <b>Lost.</b> Fires when the session expires (reported by the client, or found on reconnect), and,
/// through the handle's validity clock, when renewals have failed (disconnected) for longer than the
/// TTL minus the drift margin, counted from the send time of the last good renewal: the server
/// cannot expire the session before that.
/// </para>
/// <para>
/// <b>Token from another client.</b> Release by holder token works from any client: the node is found
/// by the guid derived from the token and deleted. Renewal cannot: only the owning session can keep an
/// ephemeral node alive, so a renewal by a token that holds the lock through another client throws a
/// <see cref="LockException"/> saying so. A token that holds nothing returns false from both.
/// </para>
/// </remarks>
public sealed class ZooKeeperLock : LockProvider
{
    // A watch is the wake-up; this only bounds how long a waiter trusts it before looking again.
    private static readonly TimeSpan WatchFallback = TimeSpan.FromSeconds(30);

    private readonly ZooKeeperLockOptions _options;
    private readonly ConcurrentDictionary<string, Hold> _holds = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sharedGate = new(1, 1);
    private ZooKeeperClient? _shared;
    private volatile bool _rootReady;

    public ZooKeeperLock(ZooKeeperLockOptions options, ILogger<ZooKeeperLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        Endpoint = options.ConnectString!;
    }

    public override string Backend => "zookeeper";
    public override string Endpoint { get; }

    protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
    {
        var paths = new ZooKeeperLockPaths(_options.Root, request.Name, request.HolderToken);
        if (request.RemainingWait == TimeSpan.Zero)
        {
            // A try that may not wait costs one read and leaves nothing behind when the lock is taken.
            var shared = await SharedClientAsync(cancellationToken).ConfigureAwait(false);
            Metrics.Request("acquire");
            if ((await ChildrenOrEmptyAsync(shared, paths.Parent, cancellationToken).ConfigureAwait(false)).Count > 0)
                return null;
        }

        Metrics.Request("connect");
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = _options.ConnectString!,
            SessionTimeout = request.Ttl,
            RequestTimeout = _options.ConnectTimeout,
            ConnectTimeout = _options.ConnectTimeout,
            TimeProvider = Time,
            Logger = Logger,
        }, cancellationToken).ConfigureAwait(false);
        var attempt = new Attempt(client);
        request.BackendState = attempt;
        SessionOpenedForTests?.Invoke(client);
        client.StateChanged += state =>
        {
            if (state == ZooKeeperState.Expired)
                OnSessionExpired(request.HolderToken, attempt);
        };
        if (client.SessionTimeout < request.Ttl)
            throw new LockException(
                $"Lock '{request.Name}': ZooKeeper at {Endpoint} grants sessions of at most {client.SessionTimeout.TotalMilliseconds:0} ms, and the TTL is the session timeout; ask for a TTL of at most that (it was {request.Ttl.TotalMilliseconds:0} ms).",
                request.Name, Backend, Endpoint);

        var (node, fence) = await CreateNodeAsync(client, paths, cancellationToken).ConfigureAwait(false);
        attempt.NodePath = node;
        var ourName = node[(node.LastIndexOf('/') + 1)..];
        while (true)
        {
            var sent = Time.GetTimestamp();
            Metrics.Request("acquire");
            var children = await RetryAsync(() => client.GetChildrenAsync(paths.Parent, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
            var queue = ZooKeeperLockPaths.InQueueOrder(children.Children);
            var place = queue.IndexOf(ourName);
            if (place < 0)
                throw new LockException($"Lock '{request.Name}': our queue node {node} disappeared while waiting (deleted by someone else, or the session ended).", request.Name, Backend, Endpoint);
            if (place == 0)
            {
                // From now on the holder's renewals are the session's only heartbeat (see remarks).
                client.SendsPings = false;
                _holds[request.HolderToken] = new Hold(request.Name, client, node);
                attempt.Granted = true;
                return new LockGrant(fence, sent, attempt.Lost.Token);
            }
            if (request.WaitExpired)
                return null;

            var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Metrics.Request("acquire");
            var predecessor = await RetryAsync(
                () => client.ExistsAsync(paths.ChildPath(queue[place - 1]), _ => woken.TrySetResult(), cancellationToken), cancellationToken).ConfigureAwait(false);
            if (predecessor is null)
                continue;
            try
            {
                await woken.Task.WaitAsync(request.NextWakeUp(WatchFallback), Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (request.WaitExpired)
            {
                return null;
            }
            catch (TimeoutException)
            {
                // Look again; the watch stays registered and may still fire.
            }
        }
    }

    /// <summary>
    /// Creates our ephemeral sequential node, making the root and the lock's container parent when
    /// missing. A create whose reply was lost may have happened: we look for our guid before trying again.
    /// </summary>
    private async Task<(string Path, long Czxid)> CreateNodeAsync(ZooKeeperClient client, ZooKeeperLockPaths paths, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                Metrics.Request("acquire");
                var created = await client.CreateAsync(paths.CreatePath, [], ZooKeeperCreateMode.EphemeralSequential, cancellationToken).ConfigureAwait(false);
                return (created.Path, created.Stat.Czxid);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                await CreateParentsAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Metrics.Request("acquire");
                var found = await RetryAsync(() => FindOwnNodeAsync(client, paths, cancellationToken), cancellationToken).ConfigureAwait(false);
                if (found is { } ours)
                    return ours;
            }
        }
    }

    private async Task<(string Path, long Czxid)?> FindOwnNodeAsync(ZooKeeperClient client, ZooKeeperLockPaths paths, CancellationToken cancellationToken)
    {
        foreach (var child in await ChildrenOrEmptyAsync(client, paths.Parent, cancellationToken).ConfigureAwait(false))
        {
            if (!paths.IsOurs(child))
                continue;
            Metrics.Request("acquire");
            if (await client.ExistsAsync(paths.ChildPath(child), cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return (paths.ChildPath(child), stat.Czxid);
        }
        return null;
    }

    private async Task CreateParentsAsync(ZooKeeperClient client, string parent, CancellationToken cancellationToken)
    {
        if (!_rootReady)
        {
            var path = "";
            foreach (var segment in _options.Root.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                path += "/" + segment;
                await CreateIfMissingAsync(client, path, ZooKeeperCreateMode.Persistent, cancellationToken).ConfigureAwait(false);
            }
            _rootReady = true;
        }
        // A container: the server removes it once its last contender is gone, so lock names do not pile up.
        await CreateIfMissingAsync(client, parent, ZooKeeperCreateMode.Container, cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateIfMissingAsync(ZooKeeperClient client, string path, ZooKeeperCreateMode mode, CancellationToken cancellationToken)
    {
        try
        {
            Metrics.Request("prepare");
            await client.CreateAsync(path, [], mode, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
        {
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            // The root went away under us (deleted by hand): build it again next time round.
            _rootReady = false;
        }
    }

    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_holds.TryGetValue(holderToken, out var hold) && hold.Name == name)
        {
            if (ttl > hold.Client.SessionTimeout)
                throw new LockException(
                    $"Lock '{name}': a ZooKeeper hold's TTL is its session timeout, fixed at acquire ({hold.Client.SessionTimeout.TotalMilliseconds:0} ms); it cannot be renewed for {ttl.TotalMilliseconds:0} ms.",
                    name, Backend, Endpoint);
            try
            {
                // Any request resets the session's expiry clock on the server; this one also proves our node is still there.
                Metrics.Request("renew");
                var stat = await hold.Client.ExistsAsync(hold.NodePath, cancellationToken: cancellationToken).ConfigureAwait(false);
                return stat is not null && stat.EphemeralOwner == hold.Client.SessionId;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                return false;
            }
        }
        if (await FindNodeOfTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is null)
            return false;
        throw new LockException(
            $"Lock '{name}' is held with this holder token through another ZooKeeper client. Its node is an ephemeral node owned by that client's session, and only that session can keep it alive: renew through the client (process) that acquired it. Release by token works from any client.",
            name, Backend, Endpoint);
    }

    protected override async Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        if (_holds.TryGetValue(holderToken, out var hold) && hold.Name == name && _holds.TryRemove(holderToken, out _))
            return await EndHoldAsync(hold.Client, hold.NodePath, cancellationToken).ConfigureAwait(false);

        // Held through another client (or not at all): any session may delete the node, found by the token's guid.
        if (await FindNodeOfTokenAsync(name, holderToken, cancellationToken).ConfigureAwait(false) is not { } node)
            return false;
        var shared = await SharedClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Metrics.Request("release");
            await shared.DeleteAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return false;
        }
    }

    protected override async Task AbandonAcquireAsync(LockRequest request, CancellationToken cancellationToken)
    {
        if (request.BackendState is not Attempt attempt)
            return;
        _holds.TryRemove(request.HolderToken, out _);
        // Closing the session deletes our queue node (and any hold a raced hand-off gave us) in one request.
        await CloseSessionAsync(attempt.Client).ConfigureAwait(false);
    }

    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var shared = await SharedClientAsync(cancellationToken).ConfigureAwait(false);
        var parent = $"{_options.Root}/{ZooKeeperLockPaths.EncodeName(name)}";
        Metrics.Request("status");
        foreach (var child in ZooKeeperLockPaths.InQueueOrder(await ChildrenOrEmptyAsync(shared, parent, cancellationToken).ConfigureAwait(false)))
        {
            // The first contender holds; if it just left, the next one does.
            Metrics.Request("status");
            if (await shared.ExistsAsync($"{parent}/{child}", cancellationToken: cancellationToken).ConfigureAwait(false) is { } stat)
                return new LockStatus(name, true, null, stat.Czxid);
        }
        return new LockStatus(name, false, null, null);
    }

    private async Task<bool> EndHoldAsync(ZooKeeperClient client, string node, CancellationToken cancellationToken)
    {
        try
        {
            // Delete first, so the next waiter's watch fires now; closing the session would do it too, one step later.
            Metrics.Request("release");
            await client.DeleteAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.NoNode or ZooKeeperErrorCode.SessionExpired)
        {
            return false;
        }
        finally
        {
            // If the delete's fate is unknown (connection lost), closing the session settles it: the node goes with it.
            await CloseSessionAsync(client).ConfigureAwait(false);
        }
    }

    private async Task CloseSessionAsync(ZooKeeperClient client)
    {
        if (client.State == ZooKeeperState.SyncConnected)
            Metrics.Request("close");
        await client.DisposeAsync().ConfigureAwait(false);
    }

    private void OnSessionExpired(string holderToken, Attempt attempt)
    {
        attempt.Lost.Cancel();
        if (attempt.Granted && _holds.TryRemove(holderToken, out _))
            _ = attempt.Client.DisposeAsync().AsTask();
    }

    private async Task<string?> FindNodeOfTokenAsync(string name, string holderToken, CancellationToken cancellationToken)
    {
        var paths = new ZooKeeperLockPaths(_options.Root, name, holderToken);
        var shared = await SharedClientAsync(cancellationToken).ConfigureAwait(false);
        Metrics.Request("lookup");
        var children = await ChildrenOrEmptyAsync(shared, paths.Parent, cancellationToken).ConfigureAwait(false);
        // Only the first contender holds: a token whose node still waits in the queue holds nothing yet.
        var queue = ZooKeeperLockPaths.InQueueOrder(children);
        return queue.Count > 0 && paths.IsOurs(queue[0]) ? paths.ChildPath(queue[0]) : null;
    }

    private static async Task<IReadOnlyList<string>> ChildrenOrEmptyAsync(ZooKeeperClient client, string parent, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetChildrenAsync(parent, cancellationToken: cancellationToken).ConfigureAwait(false)).Children;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return [];
        }
    }

    /// <summary>One session shared by status reads and by-token look-ups; not used for holds.</summary>
    private async ValueTask<ZooKeeperClient> SharedClientAsync(CancellationToken cancellationToken)
    {
        if (_shared is { State: ZooKeeperState.SyncConnected or ZooKeeperState.Disconnected } ready)
            return ready;
        await _sharedGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_shared is { State: ZooKeeperState.SyncConnected or ZooKeeperState.Disconnected } current)
                return current;
            if (_shared is not null)
                await _shared.DisposeAsync().ConfigureAwait(false);
            Metrics.Request("connect");
            _shared = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
            {
                ConnectString = _options.ConnectString!,
                SessionTimeout = TimeSpan.FromSeconds(10),
                RequestTimeout = _options.ConnectTimeout,
                ConnectTimeout = _options.ConnectTimeout,
                TimeProvider = Time,
                Logger = Logger,
            }, cancellationToken).ConfigureAwait(false);
            return _shared;
        }
        finally
        {
            _sharedGate.Release();
        }
    }

    /// <summary>Repeats an idempotent read while the session moves to another member.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (IsTransient(ex))
            {
                Logger.LogDebug(ex, "ZooKeeper read failed while the connection moved; retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(20), Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(ZooKeeperException ex) => ex.Code is ZooKeeperErrorCode.ConnectionLoss or ZooKeeperErrorCode.OperationTimeout;

    /// <summary>For tests: sees each hold's session as soon as it is open, before anything is sent on it.</summary>
    internal Action<ZooKeeperClient>? SessionOpenedForTests { get; set; }

    /// <summary>For tests: the session behind a live hold, to pause its I/O like a stalled process.</summary>
    internal ZooKeeperClient? SessionOfHold(string holderToken) => _holds.TryGetValue(holderToken, out var hold) ? hold.Client : null;

    protected override async ValueTask DisposeCoreAsync()
    {
        // Holds not released through their handles (bare leases) end with their sessions.
        foreach (var token in _holds.Keys)
        {
            if (_holds.TryRemove(token, out var hold))
                await CloseSessionAsync(hold.Client).ConfigureAwait(false);
        }
        if (_shared is not null)
            await _shared.DisposeAsync().ConfigureAwait(false);
        _sharedGate.Dispose();
    }

    private sealed class Attempt(ZooKeeperClient client)
    {
        public ZooKeeperClient Client => client;
        public string? NodePath { get; set; }
        public volatile bool Granted;
        public CancellationTokenSource Lost { get; } = new();
    }

    private sealed record Hold(string Name, ZooKeeperClient Client, string NodePath);
}
