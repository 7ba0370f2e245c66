using System.Globalization;
using System.Text;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>A throwaway standalone ZooKeeper (sessions of 1 s to 10 s).</summary>
public sealed class ZooKeeperWorkerIdStore : NodeWorkerIdLeaseStore<ZooKeeperNode>
{
    public override string Backend => "zookeeper";
    public override string Endpoint => Server.ConnectString;

    protected override Task<ZooKeeperNode> StartAsync() => ZooKeeperNode.StartAsync("ids-zookeeper");

    public override async Task<long?> StoredLastAsync(string pool, int workerId)
    {
        var path = $"/coord/worker-ids/{pool}/last/{workerId}";
        await using var client = await ConnectAsync();
        if (await client.ExistsAsync(path) is null)
            return null;
        var node = await client.GetDataAsync(path);
        return long.Parse(Encoding.UTF8.GetString(node.Data), CultureInfo.InvariantCulture);
    }

    public override async Task TakeAwayAsync(string pool, int workerId)
    {
        await using var client = await ConnectAsync();
        await client.DeleteAsync($"/coord/worker-ids/{pool}/holders/{workerId}");
    }

    private Task<ZooKeeperClient> ConnectAsync()
        => ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = Server.ConnectString, SessionTimeout = TimeSpan.FromSeconds(5) });
}
