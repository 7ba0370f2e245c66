using Coord.Locks.Etcd;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Locks.Tests.Etcd;

/// <summary>A semaphore's state read straight from etcd with a raw client: its line of permit keys and its max-count key.</summary>
internal static class EtcdSemaphoreLine
{
    /// <summary>The line's keys, oldest first, and the max count, read in one transaction (null when the count key is absent).</summary>
    public static async Task<(IReadOnlyList<Mvccpb.KeyValue> Line, int? MaxCount)> ReadAsync(EtcdClient raw, string name, string prefix = EtcdServerFixture.Prefix)
    {
        var line = EtcdSemaphoreKeys.Line(prefix, name);
        var read = new TxnRequest();
        read.Success.Add(new RequestOp { RequestRange = EtcdLine.Line(line) });
        read.Success[0].RequestRange.KeysOnly = false;
        read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = EtcdSemaphoreKeys.MaxCount(line) } });
        var response = await raw.GetConnection().KVClient.TxnAsync(read);
        var max = response.Responses[1].ResponseRange.Kvs.FirstOrDefault();
        return (response.Responses[0].ResponseRange.Kvs, max is null ? null : int.Parse(max.Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>How many keys of the line are not among the first max count: the waiters.</summary>
    public static async Task<int> WaitingAsync(EtcdClient raw, string name)
    {
        var (line, max) = await ReadAsync(raw, name);
        return max is { } count ? Math.Max(0, line.Count - count) : line.Count;
    }

    /// <summary>Deletes the key of the permit <paramref name="holderToken"/> behind its holder's back.</summary>
    public static async Task DeletePermitAsync(EtcdClient raw, string name, string holderToken)
    {
        var (line, _) = await ReadAsync(raw, name);
        var key = line.SingleOrDefault(kv => kv.Value == ByteString.CopyFromUtf8(holderToken));
        Assert.True(key is not null, $"'{holderToken}' held no permit of '{name}'");
        var deleted = await raw.GetConnection().KVClient.DeleteRangeAsync(new DeleteRangeRequest { Key = key.Key });
        Assert.Equal(1, deleted.Deleted);
    }
}
