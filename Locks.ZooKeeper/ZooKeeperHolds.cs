using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// The holds one ZooKeeper provider (lock or semaphore) has granted, by holder token: what renewals,
/// releases and TTL deadlines look up. Locks and permits differ only in which node a hold keeps.
/// </summary>
/// <param name="kind">"Lock" or "Semaphore", for messages.</param>
/// <param name="metrics">The provider's request counts.</param>
/// <param name="time">The provider's clock.</param>
/// <param name="logger">The provider's logger.</param>
/// <param name="backend">The provider's backend name, for errors.</param>
/// <param name="endpoint">The provider's endpoint, for errors.</param>
internal sealed class ZooKeeperHolds(string kind, Func<LockMetrics> metrics, TimeProvider time, ILogger logger, string backend, string endpoint)
{
    private readonly ConcurrentDictionary<string, ZooKeeperHold> _holds = new(StringComparer.Ordinal);

    /// <summary>Books and starts the hold of <paramref name="request"/> on <paramref name="node"/>; its TTL counts from now.</summary>
    public ZooKeeperHold Start(LockRequest request, string node, ZooKeeperSession session)
    {
        var hold = new ZooKeeperHold(request.HolderToken, request.Name, node, session, time, request.Ttl, OnEnded);
        _holds[request.HolderToken] = hold;
        hold.Start();
        return hold;
    }

    /// <summary>Ends this provider's hold of <paramref name="holderToken"/> of <paramref name="name"/> (not lost), for its release; null when it has none.</summary>
    public ZooKeeperHold? Take(string name, string holderToken)
    {
        if (!_holds.TryGetValue(holderToken, out var hold) || hold.Name != name || !_holds.TryRemove(new KeyValuePair<string, ZooKeeperHold>(holderToken, hold)))
            return null;
        hold.End(lost: false);
        return hold;
    }

    /// <summary>This provider's live hold of <paramref name="holderToken"/> on <paramref name="name"/>, or null.</summary>
    public ZooKeeperHold? Find(string name, string holderToken)
        => _holds.TryGetValue(holderToken, out var hold) && hold.Name == name ? hold : null;

    /// <summary>Ends the hold of an acquire that is being abandoned after its grant, if there is one.</summary>
    public void Abandon(string holderToken)
    {
        if (_holds.TryRemove(holderToken, out var hold))
            hold.End(lost: false);
    }

    /// <summary>
    /// Renews this provider's hold of <paramref name="holderToken"/>: the deadline moves, then its node is
    /// checked to be still ours (if not, the hold ends lost). Null when this provider has no such hold.
    /// </summary>
    public async Task<bool?> RenewAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (!_holds.TryGetValue(holderToken, out var hold) || hold.Name != name)
            return null;
        if (ttl < hold.Session.Timeout)
            throw new LockException(
                $"{kind} '{name}': its ZooKeeper session expires {hold.Session.Timeout.TotalMilliseconds:0} ms after this process dies, so the hold cannot be renewed for a shorter TTL ({ttl.TotalMilliseconds:0} ms); renew for at least its session timeout.",
                name, backend, endpoint);
        // The deadline moves before the check is sent, so this process never deletes a node whose renewal is in flight.
        if (!hold.Extend(ttl))
            return false;
        metrics().Request("renew");
        var stat = await hold.Session.Client.ExistsAsync(hold.NodePath, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (stat is not null && stat.EphemeralOwner == hold.Session.Client.SessionId)
            return true;
        if (_holds.TryRemove(new KeyValuePair<string, ZooKeeperHold>(holderToken, hold)))
            hold.End(lost: true);
        return false;
    }

    /// <summary>The refusal of a renewal by token of a hold that another client's session owns.</summary>
    public LockException HeldElsewhere(string name)
        => new($"{kind} '{name}' is held with this holder token through another ZooKeeper client. The hold's TTL is kept by the process that acquired it, and its node is an ephemeral node of that process's session: renew through the client (process) that acquired it. Release by token works from any client.",
            name, backend, endpoint);

    /// <summary>Ends every hold (not lost), before the provider closes its sessions.</summary>
    public void EndAll()
    {
        foreach (var token in _holds.Keys)
            Abandon(token);
    }

    /// <summary>
    /// A hold that ended by itself. Its session was lost: nothing to do but forget it. Nobody renewed it
    /// in time: this process deletes its node, as the server would have ended a lease.
    /// </summary>
    private void OnEnded(ZooKeeperHold hold, bool deadlinePassed)
    {
        _holds.TryRemove(new KeyValuePair<string, ZooKeeperHold>(hold.HolderToken, hold));
        if (!deadlinePassed)
            return;
        logger.LogInformation("{Kind} {Name} on ZooKeeper was not renewed within its TTL; deleting its node {Node}", kind, hold.Name, hold.NodePath);
        _ = ZooKeeperCalls.DeleteUntilGoneAsync(hold.Session, hold.NodePath, metrics(), time, logger);
    }
}
