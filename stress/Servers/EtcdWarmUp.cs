using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Stress.Servers;

/// <summary>
/// Brings a freshly started etcd to its steady write rate before anything is measured. A new member
/// commits (with fsync) several times slower for its first seconds, and its rate keeps climbing for
/// several seconds more; without this the first target of a run is measured on a slower server than
/// the targets after it (measured: the same target 0.8× or 1.1× its peer depending on which ran first).
/// </summary>
public static class EtcdWarmUp
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Shortest = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    /// <summary>Number of one-second windows compared at a time: single windows on a shared machine vary by ±20 %.</summary>
    private const int Span = 3;

    /// <summary>
    /// Puts and deletes one key for at least 8 s and until the last three one-second windows were no
    /// faster than the three before them (the rate stopped climbing), at most 30 s; returns the last rate.
    /// </summary>
    public static async Task<double> RunAsync(string clientUrl, CancellationToken cancellationToken)
    {
        using var etcd = new EtcdClient(clientUrl);
        var kv = etcd.GetConnection().KVClient;
        var key = ByteString.CopyFromUtf8("coord-stress-warm-up");
        var started = Stopwatch.StartNew();
        var rates = new List<double>();
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
            rates.Add(pairs / window.Elapsed.TotalSeconds);
            if (started.Elapsed >= Longest)
                return rates[^1];
            if (started.Elapsed < Shortest || rates.Count < 2 * Span)
                continue;
            var recent = rates.TakeLast(Span).Average();
            var before = rates.SkipLast(Span).TakeLast(Span).Average();
            if (recent <= before * 1.05)
                return recent;
        }
    }
}
