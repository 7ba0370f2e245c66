using System.Globalization;
using Coord.Testing;
using dotnet_etcd;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>A throwaway single-member etcd.</summary>
public sealed class EtcdWorkerIdStore : NodeWorkerIdLeaseStore<EtcdNode>
{
    public override string Backend => "etcd";
    public override string Endpoint => Server.ClientUrl;

    protected override Task<EtcdNode> StartAsync() => EtcdNode.StartAsync("ids-etcd");

    public override async Task<long?> StoredLastAsync(string pool, int workerId)
    {
        using var client = new EtcdClient(Server.ClientUrl);
        var value = await client.GetValAsync($"coord/worker-ids/{pool}/last/{workerId}");
        return string.IsNullOrEmpty(value) ? null : long.Parse(value, CultureInfo.InvariantCulture);
    }

    public override async Task TakeAwayAsync(string pool, int workerId)
    {
        using var client = new EtcdClient(Server.ClientUrl);
        await client.DeleteAsync($"coord/worker-ids/{pool}/holder/{workerId}");
    }
}
