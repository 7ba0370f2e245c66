using System.Globalization;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.LockHolder;

/// <summary>
/// A downstream resource on etcd that leaders write to, fenced by term as Kleppmann's storage is by token: it
/// keeps the highest term that wrote (<c>&lt;key&gt;/term</c>, zero-padded so that etcd's byte order is numeric
/// order) and refuses, in one transaction, a write whose term is lower. Used by crash and pause tests.
/// </summary>
public static class EtcdFencedRegister
{
    /// <summary>Writes <paramref name="payload"/> with <paramref name="term"/>; false when a higher term wrote before (nothing is changed then).</summary>
    public static async Task<bool> WriteAsync(EtcdClient client, string key, long term, string payload, CancellationToken cancellationToken = default)
    {
        var termKey = ByteString.CopyFromUtf8(key + "/term");
        var mine = ByteString.CopyFromUtf8(term.ToString("D20", CultureInfo.InvariantCulture));
        var txn = new TxnRequest();
        // A missing key fails the comparison, so the first write is accepted.
        txn.Compare.Add(new Compare { Key = termKey, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Greater, Value = mine });
        txn.Failure.Add(new RequestOp { RequestPut = new PutRequest { Key = termKey, Value = mine } });
        txn.Failure.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key + "/data"), Value = ByteString.CopyFromUtf8(payload) } });
        var response = await client.GetConnection().KVClient.TxnAsync(txn, cancellationToken: cancellationToken);
        return !response.Succeeded;
    }

    /// <summary>What the register holds: the highest term that wrote and its payload, or nulls before any write.</summary>
    public static async Task<(long? Term, string? Payload)> ReadAsync(EtcdClient client, string key, CancellationToken cancellationToken = default)
    {
        var kv = client.GetConnection().KVClient;
        var term = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key + "/term") }, cancellationToken: cancellationToken);
        var data = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key + "/data") }, cancellationToken: cancellationToken);
        return (term.Kvs.Count == 0 ? null : long.Parse(term.Kvs[0].Value.ToStringUtf8(), CultureInfo.InvariantCulture),
                data.Kvs.Count == 0 ? null : data.Kvs[0].Value.ToStringUtf8());
    }
}
