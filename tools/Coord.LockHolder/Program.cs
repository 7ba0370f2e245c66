using System.Diagnostics;
using System.Globalization;
using Coord.Client;
using Coord.Locks;
using Coord.Locks.Etcd;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.ZooKeeper;

// A process that takes locks and holds them (renewing) until it is killed: the other side of
// crash tests, where a holder must vanish without releasing. Prints "HELD <fence> [<fence> ...]"
// once it holds every lock, "LOST" if a hold is lost (exit code 3), after "LOSTAT <Stopwatch timestamp
// of each hold's Lost> <Stopwatch frequency>" so a test in another process can order it against its own events.
// Usage: Coord.LockHolder <backend> <connection> <lock name> <ttl seconds> [count]
// With a count, it holds "<lock name>/1" … "<lock name>/<count>" on one provider.

const string Usage = "Usage: Coord.LockHolder <redis|postgres|etcd|zookeeper|http|redis-semaphore|redis-writer|etcd-writer|zookeeper-writer|postgres-writer|postgres-semaphore|zookeeper-semaphore|etcd-semaphore> <connection> <lock name> <ttl seconds> [count]";
if (args.Length > 0 && Coord.LockHolder.LeaderMode.Names.Contains(args[0]))
    return await Coord.LockHolder.LeaderMode.RunAsync(args);
if (args.Length > 0 && args[0] == Coord.LockHolder.ZooKeeperLeaderMode.Name)
    return await Coord.LockHolder.ZooKeeperLeaderMode.RunAsync(args);
if (args.Length is < 4 or > 5)
{
    Console.Error.WriteLine(Usage);
    Console.Error.WriteLine("  redis:     a StackExchange.Redis configuration, e.g. 127.0.0.1:6379");
    Console.Error.WriteLine("  redis-semaphore: as redis; holds every permit of the semaphore <lock name> with max count [count] (default 1)");
    Console.Error.WriteLine("  redis-writer: as redis; holds the write lock of the reader-writer lock <lock name>");
    Console.Error.WriteLine("  etcd-writer, zookeeper-writer, postgres-writer: as etcd, zookeeper, postgres; hold the write lock of the reader-writer lock <lock name>");
    Console.Error.WriteLine("  postgres-semaphore: as postgres; holds every permit of the semaphore <lock name> with max count [count] (default 1)");
    Console.Error.WriteLine("  zookeeper-semaphore: as zookeeper; holds every permit of the semaphore <lock name> with max count [count] (default 1)");
    Console.Error.WriteLine("  etcd-semaphore:  as etcd; holds every permit of the semaphore <lock name> with max count [count] (default 1)");
    Console.Error.WriteLine("  postgres:  an Npgsql connection string, e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\"");
    Console.Error.WriteLine("  etcd:      comma-separated client URLs, e.g. http://127.0.0.1:2379");
    Console.Error.WriteLine("  zookeeper: a connect string, e.g. 127.0.0.1:2181");
    Console.Error.WriteLine("  http:      the Coord service through Coord.Client: its address, with ;apiKey=<key> when it needs one, e.g. http://127.0.0.1:8080/;apiKey=0123456789abcdef");
    return 2;
}

if (!double.TryParse(args[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var ttlSeconds) || !(ttlSeconds > 0))
{
    Console.Error.WriteLine($"The TTL must be a positive number of seconds, such as 3 or 0.5; it was '{args[3]}'.");
    return 2;
}

var count = 0;
if (args.Length == 5 && (!int.TryParse(args[4], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 1000))
{
    Console.Error.WriteLine($"The count must be a whole number from 1 to 1000; it was '{args[4]}'.");
    return 2;
}

var ttl = TimeSpan.FromSeconds(ttlSeconds);
SemaphoreProvider? semaphoreProvider = args[0] switch
{
    "redis-semaphore" => new RedisSemaphore(new RedisLockOptions { Configuration = args[1], DefaultTtl = ttl }),
    "postgres-semaphore" => new PostgresSemaphore(new PostgresLockOptions { ConnectionString = args[1], DefaultTtl = ttl }),
    "zookeeper-semaphore" => new ZooKeeperSemaphore(new ZooKeeperLockOptions { ConnectString = args[1], DefaultTtl = ttl, MinimumSessionTimeout = ttl }),
    "etcd-semaphore" => new EtcdSemaphore(new EtcdLockOptions { Endpoints = args[1].Split(','), DefaultTtl = ttl }),
    _ => null,
};
if (semaphoreProvider is not null)
{
    // Every permit of the semaphore <lock name> (max count = count, default 1), on one provider.
    await using var semaphores = semaphoreProvider;
    var permits = new List<ILockHandle>();
    for (var i = 0; i < Math.Max(count, 1); i++)
        permits.Add(await semaphores.AcquireAsync(args[2], Math.Max(count, 1), wait: TimeSpan.FromMinutes(1), ttl: ttl));
    return await HoldUntilLostAsync(permits);
}
if (args[0] == "redis-writer")
{
    await using var readerWriterLocks = new RedisReaderWriterLock(new RedisLockOptions { Configuration = args[1], DefaultTtl = ttl });
    return await HoldUntilLostAsync([await readerWriterLocks.AcquireWriteLockAsync(args[2], wait: TimeSpan.FromMinutes(1), ttl: ttl)]);
}
ReaderWriterLockProvider? writerProvider = args[0] switch
{
    "etcd-writer" => new EtcdReaderWriterLock(new EtcdLockOptions { Endpoints = args[1].Split(','), DefaultTtl = ttl }),
    "zookeeper-writer" => new ZooKeeperReaderWriterLock(new ZooKeeperLockOptions { ConnectString = args[1], DefaultTtl = ttl, MinimumSessionTimeout = ttl }),
    "postgres-writer" => new PostgresReaderWriterLock(new PostgresLockOptions { ConnectionString = args[1], DefaultTtl = ttl }),
    _ => null,
};
if (writerProvider is not null)
{
    await using var writers = writerProvider;
    return await HoldUntilLostAsync([await writers.AcquireWriteLockAsync(args[2], wait: TimeSpan.FromMinutes(1), ttl: ttl)]);
}
CoordClient? client = null;
LockProvider? created = args[0] switch
{
    "http" => (client = ServiceClient(args[1], ttl)).Locks,
    "redis" => new RedisLock(new RedisLockOptions { Configuration = args[1], DefaultTtl = ttl }),
    "postgres" => new PostgresLock(new PostgresLockOptions { ConnectionString = args[1], DefaultTtl = ttl }),
    "etcd" => new EtcdLock(new EtcdLockOptions { Endpoints = args[1].Split(','), DefaultTtl = ttl }),
    "zookeeper" => new ZooKeeperLock(new ZooKeeperLockOptions { ConnectString = args[1], DefaultTtl = ttl, MinimumSessionTimeout = ttl }),
    _ => null,
};
if (created is null)
{
    Console.Error.WriteLine($"The backend must be 'redis', 'postgres', 'etcd', 'zookeeper', 'http', 'redis-semaphore', 'redis-writer', 'etcd-writer', 'zookeeper-writer', 'postgres-writer', 'postgres-semaphore', 'zookeeper-semaphore' or 'etcd-semaphore'; it was '{args[0]}'.");
    return 2;
}
await using var ownedClient = client;
await using var locks = created;

string[] names = count == 0 ? [args[2]] : Enumerable.Range(1, count).Select(i => $"{args[2]}/{i}").ToArray();
var holds = new List<ILockHandle>(names.Length);
foreach (var name in names)
    holds.Add(await locks.AcquireAsync(name, wait: TimeSpan.FromMinutes(1), ttl: ttl));
return await HoldUntilLostAsync(holds);

// Prints "HELD <fence> ...", then holds until killed; "LOST" and exit code 3 if a hold is lost.
static async Task<int> HoldUntilLostAsync(IReadOnlyList<ILockHandle> holds)
{
    Console.WriteLine("HELD " + string.Join(' ', holds.Select(h => h.FencingToken.ToString(CultureInfo.InvariantCulture))));
    Console.Out.Flush();
    // When each hold's Lost fired, on the machine's monotonic clock (Stopwatch), which other processes here read too.
    var lostAt = new long[holds.Count];
    var registrations = holds.Select((h, i) => h.Lost.Register(() => Volatile.Write(ref lostAt[i], Stopwatch.GetTimestamp()))).ToList();
    using var anyLost = CancellationTokenSource.CreateLinkedTokenSource(holds.Select(h => h.Lost).ToArray());
    try
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, anyLost.Token);
    }
    catch (OperationCanceledException)
    {
        for (var wait = 0; wait < 100 && holds.Any(h => !h.IsLost); wait++)
            await Task.Delay(20);
        // "LOSTAT <timestamp per hold, 0 if not lost> <Stopwatch.Frequency>", then "LOST".
        Console.WriteLine("LOSTAT " + string.Join(' ', lostAt.Select(t => Volatile.Read(ref t).ToString(CultureInfo.InvariantCulture))) + " " + Stopwatch.Frequency.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine("LOST");
        return 3;
    }
    finally
    {
        registrations.ForEach(r => r.Dispose());
    }
    return 0;
}

// The service's TTL floor is 1 s by default; a holder asked for less says so to its client, and the service decides.
static CoordClient ServiceClient(string connection, TimeSpan ttl)
{
    const string KeyMarker = ";apiKey=";
    var marker = connection.IndexOf(KeyMarker, StringComparison.Ordinal);
    var address = marker < 0 ? connection : connection[..marker];
    var key = marker < 0 ? null : connection[(marker + KeyMarker.Length)..];
    return CoordClient.Create(o =>
    {
        o.BaseAddress = new Uri(address);
        o.ApiKey = key;
        o.MinTtl = ttl < o.MinTtl ? ttl : o.MinTtl;
        o.DefaultTtl = ttl;
    });
}
