using System.Globalization;
using Coord.Locks;
using Coord.Locks.Etcd;
using dotnet_etcd;

namespace Coord.LockHolder;

/// <summary>
/// The holder as an election candidate: campaigns on etcd and leads until killed, for crash and pause tests.
/// Prints "LEADER &lt;term&gt;" once elected and "LOST" if leadership is lost (it keeps running, so a test can see
/// what a deposed leader's late write does). Each line "WRITE &lt;register key&gt; &lt;payload&gt;" on standard input
/// writes to an <see cref="EtcdFencedRegister"/> with its term, unconditionally (a write the leader had decided on
/// before it stalled), and prints "ACCEPTED" or "REFUSED".
/// Usage: Coord.LockHolder etcd-leader &lt;endpoints&gt; &lt;election&gt; &lt;ttl seconds&gt; [value]
/// </summary>
internal static class LeaderMode
{
    public const string Name = "etcd-leader";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length is < 4 or > 5 || !double.TryParse(args[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var ttlSeconds) || !(ttlSeconds > 0))
        {
            Console.Error.WriteLine($"Usage: Coord.LockHolder {Name} <comma-separated etcd client URLs> <election> <ttl seconds> [value]");
            return 2;
        }
        var endpoints = args[1].Split(',');
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        var value = args.Length == 5 ? args[4] : $"pid-{Environment.ProcessId}";
        await using var elections = new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = endpoints, DefaultTtl = ttl });
        await using var leadership = await elections.CampaignAsync(args[2], value, wait: TimeSpan.FromMinutes(1), ttl: ttl);
        using var register = new EtcdClient(endpoints[0]);
        Console.WriteLine("LEADER " + leadership.Term.ToString(CultureInfo.InvariantCulture));
        using var lost = leadership.Lost.Register(() => Console.WriteLine("LOST"));
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts is not ["WRITE", var key, var payload])
                continue;
            var accepted = await EtcdFencedRegister.WriteAsync(register, key, leadership.Term, payload);
            Console.WriteLine(accepted ? "ACCEPTED" : "REFUSED");
        }
        return 0;
    }
}
