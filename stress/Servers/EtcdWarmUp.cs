using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Stress.Servers;

/// <summary>
/// Brings a freshly started etcd to its steady write rate before anything is measured: a new member
/// commits (with fsync) several times slower for its first seconds, and keeps speeding up for several more.
/// </summary>
public static class EtcdWarmUp
{
    /// <summary>Puts and deletes one key until the rate is steady (see <see cref="SteadyRate"/>); returns that rate in put+delete pairs per second.</summary>
    public static async Task<double> RunAsync(string clientUrl, CancellationToken cancellationToken)
    {
        using var etcd = new EtcdClient(clientUrl);
        var kv = etcd.GetConnection().KVClient;
        var key = ByteString.CopyFromUtf8("coord-stress-warm-up");
        return await SteadyRate.ReachAsync(async ct =>
        {
            await kv.PutAsync(new PutRequest { Key = key }, cancellationToken: ct);
            await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, cancellationToken: ct);
        }, cancellationToken).ConfigureAwait(false);
    }
}
