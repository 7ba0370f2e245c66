using System.Globalization;
using System.Text;
using Coord.Locks.ZooKeeper.Client;
using Microsoft.Extensions.Logging;

namespace Coord.Ids.WorkerIds;

/// <summary>
/// The ZooKeeper session of one worker id lease. Its ephemeral holder node is ours for as long as a
/// request on the session succeeds: only the end of the session (or our own delete) removes it.
/// Disposing closes the session.
/// </summary>
internal sealed class ZooKeeperWorkerIdSession(ZooKeeperWorkerIdLeaser leaser, ZooKeeperClient client) : IWorkerIdLeaseStore, IAsyncDisposable
{
    /// <summary>The timeout the server granted: it expires the session this long after it last heard from it.</summary>
    public TimeSpan LeaseDuration => client.SessionTimeout;
    public TimeProvider Time => leaser.Time;
    public ILogger Logger => leaser.Logger;
    public string Description => $"{leaser.Description}, session 0x{client.SessionId:x}";

    public async Task<bool> RenewAsync(int workerId, Guid owner, long reserveUnixMs, CancellationToken cancellationToken)
    {
        try
        {
            return await RaiseLastAsync(workerId, reserveUnixMs, cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
        {
            return false;
        }
    }

    /// <summary>
    /// Raises the stored timestamp to at least <paramref name="reserveUnixMs"/> while the holder node is
    /// this session's. Returns the value stored before, or null when the node is not ours.
    /// </summary>
    public async Task<long?> RaiseLastAsync(int workerId, long reserveUnixMs, CancellationToken cancellationToken)
    {
        var holderPath = leaser.HolderPath(workerId);
        var lastPath = leaser.LastPath(workerId);
        while (true)
        {
            // Both reads go out pipelined on the one connection.
            var holderRead = ReadAsync(holderPath, cancellationToken);
            var lastRead = ReadAsync(lastPath, cancellationToken);
            await Task.WhenAll(holderRead, lastRead).ConfigureAwait(false);
            var (holder, last) = (holderRead.Result, lastRead.Result);
            if (holder is null || holder.Stat.EphemeralOwner != client.SessionId)
                return null;
            var value = last is null ? 0 : long.Parse(Encoding.UTF8.GetString(last.Data), CultureInfo.InvariantCulture);
            if (value >= reserveUnixMs)
                return value;
            try
            {
                var data = Number(reserveUnixMs);
                await client.MultiAsync(
                [
                    ZooKeeperOperation.Check(holderPath, holder.Stat.Version),
                    last is null
                        ? ZooKeeperOperation.Create(lastPath, data, ZooKeeperCreateMode.Persistent)
                        : ZooKeeperOperation.SetData(lastPath, data, last.Stat.Version),
                ], cancellationToken).ConfigureAwait(false);
                return value;
            }
            catch (ZooKeeperException ex) when (ex.Code is ZooKeeperErrorCode.BadVersion or ZooKeeperErrorCode.NodeExists or ZooKeeperErrorCode.NoNode)
            {
                // Something changed between the reads and the write: read again, which tells whether the node is still ours.
            }
        }
    }

    public async Task ReleaseAsync(int workerId, Guid owner, long lastIssuedUnixMs, CancellationToken cancellationToken)
    {
        var holderPath = leaser.HolderPath(workerId);
        var holder = await ReadAsync(holderPath, cancellationToken).ConfigureAwait(false);
        if (holder is null || holder.Stat.EphemeralOwner != client.SessionId)
            return;
        await client.MultiAsync(
        [
            ZooKeeperOperation.SetData(leaser.LastPath(workerId), Number(lastIssuedUnixMs)),
            ZooKeeperOperation.Delete(holderPath, holder.Stat.Version),
        ], cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();

    private async Task<ZooKeeperNodeData?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetDataAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return null;
        }
    }

    private static byte[] Number(long value) => Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}
