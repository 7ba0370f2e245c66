using System.Globalization;
using Coord.Ids.Segment;
using Coord.Ids.Tests.WorkerIds;
using Coord.Ids.WorkerIds;

namespace Coord.Ids.Tests;

/// <summary>
/// The test assembly doubles as a helper program so tests can put generators in a second process:
/// <c>dotnet exec Coord.Ids.Tests.dll segment-draw ...</c> or <c>... worker-lease redis ...</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "segment-draw":
                await SegmentDrawAsync(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), args[5]);
                return 0;
            case "worker-lease":
                await HoldUntilKilledAsync(WorkerIdLeaseStore.Create(args[1], args[2], args[3],
                    TimeSpan.FromSeconds(int.Parse(args[4], CultureInfo.InvariantCulture))), int.Parse(args[5], CultureInfo.InvariantCulture));
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: segment-draw <connection> <tag> <generators> <ids-each> <out-file> | worker-lease postgres|redis|etcd|zookeeper <endpoint> <pool> <lease-seconds> <max-worker-id>");
                return 2;
        }
    }

    /// <summary>Draws ids with several generators at once and writes them, plus the ranges left unissued, to files.</summary>
    internal static async Task SegmentDrawAsync(string connectionString, string tag, int generators, int idsEach, string outFile)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, generators).Select(_ => Task.Run(async () =>
        {
            await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connectionString });
            var generator = new SegmentIdGenerator(store);
            var ids = new long[idsEach];
            for (var i = 0; i < ids.Length; i++)
                ids[i] = await generator.NextAsync(tag);
            await generator.DisposeAsync(); // lets loads in flight finish, so their ranges are known
            return (Ids: ids, Unissued: generator.GetUnissuedRanges(tag));
        })));
        await using (var output = File.Create(outFile))
        await using (var writer = new BinaryWriter(output))
        {
            foreach (var id in results.SelectMany(r => r.Ids))
                writer.Write(id);
        }
        await File.WriteAllLinesAsync(outFile + ".unissued",
            results.SelectMany(r => r.Unissued).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Start} {r.End}")));
    }

    /// <summary>Leases a worker id, prints it and keeps the lease until the process is killed.</summary>
    private static async Task HoldUntilKilledAsync(IWorkerIdLeaser leaser, int maxWorkerId)
    {
        var held = await leaser.AcquireAsync(maxWorkerId);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"leased {held.WorkerId}"));
        await Console.Out.FlushAsync();
        await Task.Delay(Timeout.Infinite);
    }
}
