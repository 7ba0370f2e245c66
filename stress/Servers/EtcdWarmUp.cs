using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Stress.Servers;

/// <summary>
/// Brings a freshly started etcd to its steady write rate before anything is measured. A new member
/// commits (with fsync) several times slower for its first seconds, so without this the first target
/// of a run would be measured on a slower server than the targets after it.
/// </summary>
public static class EtcdWarmUp
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(20);

    /// <summary>Puts and deletes one key until two consecutive one-second windows differ by less than 10 % (at most 20 s); returns the last rate.</summary>
    public static async Task<double> RunAsync(string clientUrl, CancellationToken cancellationToken)
    {
        using var etcd = new EtcdClient(clientUrl);
        var kv = etcd.GetConnection().KVClient;
        var key = ByteString.CopyFromUtf8("coord-stress-warm-up");
        var started = Stopwatch.StartNew();
        var previous = 0.0;
        while (true)
        {
            var window = Stopwatch.StartNew();
            var pairs = 0;
            while (window.Elapsed < Window)
            {
                await kv.PutAsync(new PutRequest { Key = key }, cancellationToken: cancellationToken);
                await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, cancellationToken: cancellationToken);
                pairs++;
            }
            var rate = pairs / window.Elapsed.TotalSeconds;
            if ((previous > 0 && Math.Abs(rate - previous) < 0.1 * previous && started.Elapsed > 3 * Window) || started.Elapsed >= Longest)
                return rate;
            previous = rate;
        }
    }
}
