using System.Globalization;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;

namespace Coord.LockHolder;

/// <summary>
/// The holder as a ZooKeeper election candidate, as <see cref="LeaderMode"/> is on etcd: campaigns under the default
/// root with its session timeout equal to the TTL, prints "LEADER &lt;term&gt;" once elected and "LOST" when it hears it
/// lost, and answers each "WRITE &lt;register path&gt; &lt;payload&gt;" line with "ACCEPTED" or "REFUSED" from a
/// <see cref="ZooKeeperFencedRegister"/> written with its term.
/// Usage: Coord.LockHolder zookeeper-leader &lt;connect string&gt; &lt;election&gt; &lt;ttl seconds&gt; [value]
/// </summary>
internal static class ZooKeeperLeaderMode
{
    public const string Name = "zookeeper-leader";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length is < 4 or > 5 || !double.TryParse(args[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var ttlSeconds) || !(ttlSeconds > 0))
        {
            Console.Error.WriteLine($"Usage: Coord.LockHolder {Name} <connect string> <election> <ttl seconds> [value]");
            return 2;
        }
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        await using var elections = new ZooKeeperLeaderElection(new ZooKeeperLockOptions { ConnectString = args[1], DefaultTtl = ttl, MinimumSessionTimeout = ttl });
        await using var leadership = await elections.CampaignAsync(args[2], args.Length == 5 ? args[4] : $"pid-{Environment.ProcessId}", wait: TimeSpan.FromMinutes(1), ttl: ttl);
        // The register is another resource: its own client, whose session outlives a pause longer than the leader's.
        await using var register = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = args[1], SessionTimeout = TimeSpan.FromSeconds(30) });
        Console.WriteLine("LEADER " + leadership.Term.ToString(CultureInfo.InvariantCulture));
        using var lost = leadership.Lost.Register(() => Console.WriteLine("LOST"));
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line.Split(' ', 3) is ["WRITE", var path, var payload])
                Console.WriteLine(await ZooKeeperFencedRegister.WriteAsync(register, path, leadership.Term, payload) ? "ACCEPTED" : "REFUSED");
        }
        return 0;
    }
}
