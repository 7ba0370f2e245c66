using System.Globalization;
using Coord.Locks;
using Coord.Locks.Etcd;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using dotnet_etcd;
using Npgsql;
using StackExchange.Redis;

namespace Coord.LockHolder;

/// <summary>
/// The holder as an election candidate: campaigns on etcd, Redis or PostgreSQL and leads until killed, for crash and pause tests.
/// Prints "LEADER &lt;term&gt;" once elected and "LOST" if leadership is lost (it keeps running, so a test can see
/// what a deposed leader's late write does). Each line "WRITE &lt;register key&gt; &lt;payload&gt;" on standard input
/// writes to the backend's fenced register (<see cref="EtcdFencedRegister"/>, <see cref="RedisFencedRegister"/>,
/// <see cref="PostgresFencedRegister"/>) with its term, unconditionally (a write the leader had decided on
/// before it stalled), and prints "ACCEPTED" or "REFUSED".
/// Usage: Coord.LockHolder &lt;etcd-leader|redis-leader|postgres-leader&gt; &lt;connection&gt; &lt;election&gt; &lt;ttl seconds&gt; [value]
/// </summary>
internal static class LeaderMode
{
    public const string Name = "etcd-leader";

    /// <summary>Every mode this class runs, one per backend.</summary>
    public static readonly string[] Names = [Name, "redis-leader", "postgres-leader"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length is < 4 or > 5 || !double.TryParse(args[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var ttlSeconds) || !(ttlSeconds > 0))
        {
            Console.Error.WriteLine($"Usage: Coord.LockHolder {args[0]} <etcd client URLs, comma-separated | Redis configuration | Npgsql connection string> <election> <ttl seconds> [value]");
            return 2;
        }
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        var value = args.Length == 5 ? args[4] : $"pid-{Environment.ProcessId}";
        await using var resources = new ResourceStack();
        LeaderElectionProvider elections;
        Func<string, long, string, Task<bool>> write;
        switch (args[0])
        {
            case "redis-leader":
                elections = new RedisLeaderElection(new RedisLockOptions { Configuration = args[1], DefaultTtl = ttl });
                var redis = await ConnectionMultiplexer.ConnectAsync(args[1]);
                resources.Push(redis);
                write = (key, term, payload) => RedisFencedRegister.WriteAsync(redis.GetDatabase(), key, term, payload);
                break;
            case "postgres-leader":
                elections = new PostgresLeaderElection(new PostgresLockOptions { ConnectionString = args[1], DefaultTtl = ttl });
                var postgres = NpgsqlDataSource.Create(args[1]);
                resources.Push(postgres);
                write = (key, term, payload) => PostgresFencedRegister.WriteAsync(postgres, key, term, payload);
                break;
            default:
                var endpoints = args[1].Split(',');
                elections = new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = endpoints, DefaultTtl = ttl });
                var etcd = new EtcdClient(endpoints[0]);
                resources.Push(etcd);
                write = (key, term, payload) => EtcdFencedRegister.WriteAsync(etcd, key, term, payload);
                break;
        }
        await using var electionsOwned = elections;
        await using var leadership = await elections.CampaignAsync(args[2], value, wait: TimeSpan.FromMinutes(1), ttl: ttl);
        Console.WriteLine("LEADER " + leadership.Term.ToString(CultureInfo.InvariantCulture));
        using var lost = leadership.Lost.Register(() => Console.WriteLine("LOST"));
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 3);
            if (parts is not ["WRITE", var key, var payload])
                continue;
            var accepted = await write(key, leadership.Term, payload);
            Console.WriteLine(accepted ? "ACCEPTED" : "REFUSED");
        }
        return 0;
    }

    /// <summary>The register clients of the run, disposed last in first out.</summary>
    private sealed class ResourceStack : IAsyncDisposable
    {
        private readonly Stack<object> _owned = new();

        public void Push(object resource) => _owned.Push(resource);

        public async ValueTask DisposeAsync()
        {
            while (_owned.TryPop(out var resource))
            {
                if (resource is IAsyncDisposable asyncDisposable)
                    await asyncDisposable.DisposeAsync();
                else if (resource is IDisposable disposable)
                    disposable.Dispose();
            }
        }
    }
}
