using Coord.Locks.Etcd;
using Coord.Testing;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Locks.Tests.Etcd;

/// <summary>One throwaway single-member etcd per test class, plus a raw client for reaching behind a holder's back.</summary>
public sealed class EtcdServerFixture : IAsyncLifetime
{
    public const string Prefix = "coord/lock/";

    public EtcdNode Server { get; private set; } = null!;
    public EtcdClient Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await EtcdNode.StartAsync();
        Raw = new EtcdClient(Server.ClientUrl);
    }

    public async Task DisposeAsync()
    {
        Raw.Dispose();
        await Server.DisposeAsync();
    }

    public EtcdLock NewClient() => new(new EtcdLockOptions { Endpoints = [Server.ClientUrl], Prefix = Prefix });

    /// <summary>Every key queued for <paramref name="name"/>, oldest first.</summary>
    public Task<IReadOnlyList<Mvccpb.KeyValue>> QueueAsync(string name, string prefix = Prefix) => QueueAsync(Raw, name, prefix);

    public static async Task<IReadOnlyList<Mvccpb.KeyValue>> QueueAsync(EtcdClient raw, string name, string prefix = Prefix)
    {
        var keys = new EtcdLockKeys(prefix, name);
        var start = ByteString.CopyFromUtf8(keys.KeyPrefix);
        var end = start.ToByteArray();
        end[^1]++;
        var response = await raw.GetConnection().KVClient.RangeAsync(new RangeRequest
        {
            Key = start,
            RangeEnd = ByteString.CopyFrom(end),
            SortTarget = RangeRequest.Types.SortTarget.Create,
            SortOrder = RangeRequest.Types.SortOrder.Ascend,
        });
        return response.Kvs;
    }

    /// <summary>Revokes the lease of whoever holds <paramref name="name"/>, as an operator or another tool could.</summary>
    public static async Task RevokeHolderAsync(EtcdClient raw, string name, string prefix = Prefix)
    {
        var queue = await QueueAsync(raw, name, prefix);
        Assert.True(queue.Count > 0, $"nobody held '{name}'");
        await raw.GetConnection().LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = queue[0].Lease });
    }
}
