using System.Globalization;
using System.Text;
using Coord.Locks.ZooKeeper.Client;

namespace Coord.LockHolder;

/// <summary>
/// A downstream resource on ZooKeeper that leaders write to, fenced by term: one persistent node whose data is
/// "&lt;highest term that wrote&gt; &lt;payload&gt;". A write reads it and replaces it only if its term is not lower,
/// conditioned on the version it read, so a concurrent write makes it read again. Used by crash and pause tests.
/// </summary>
internal static class ZooKeeperFencedRegister
{
    /// <summary>Writes <paramref name="payload"/> with <paramref name="term"/>; false when a higher term wrote before (nothing is changed then).</summary>
    public static async Task<bool> WriteAsync(ZooKeeperClient client, string path, long term, string payload, CancellationToken cancellationToken = default)
    {
        var data = Encoding.UTF8.GetBytes($"{term.ToString(CultureInfo.InvariantCulture)} {payload}");
        while (true)
        {
            ZooKeeperNodeData current;
            try
            {
                current = await client.GetDataAsync(path, cancellationToken: cancellationToken);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                try
                {
                    await client.CreateAsync(path, data, ZooKeeperCreateMode.Persistent, cancellationToken);
                    return true;
                }
                catch (ZooKeeperException again) when (again.Code == ZooKeeperErrorCode.NodeExists)
                {
                    continue;
                }
            }
            if (Parse(current.Data).Term > term)
                return false;
            try
            {
                await client.MultiAsync([ZooKeeperOperation.SetData(path, data, current.Stat.Version)], cancellationToken);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.BadVersion)
            {
                // written meanwhile: compare with that write
            }
        }
    }

    /// <summary>What the register holds: the highest term that wrote and its payload, or nulls before any write.</summary>
    public static async Task<(long? Term, string? Payload)> ReadAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var (term, payload) = Parse((await client.GetDataAsync(path, cancellationToken: cancellationToken)).Data);
            return (term, payload);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return (null, null);
        }
    }

    private static (long Term, string Payload) Parse(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return (long.Parse(text.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture), text[(space + 1)..]);
    }
}
