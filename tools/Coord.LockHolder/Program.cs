using System.Globalization;
using Coord.Locks;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;

// A process that takes one lock and holds it (renewing) until it is killed: the other side of
// crash tests, where a holder must vanish without releasing. Prints "HELD <fence>" once it holds,
// "LOST" if the hold is lost (exit code 3).
// Usage: Coord.LockHolder <redis|postgres> <connection string> <lock name> <ttl seconds>

if (args.Length != 4)
{
    Console.Error.WriteLine("Usage: Coord.LockHolder <redis|postgres> <connection string> <lock name> <ttl seconds>");
    Console.Error.WriteLine("  redis:    connection string is a StackExchange.Redis configuration, e.g. 127.0.0.1:6379");
    Console.Error.WriteLine("  postgres: connection string is an Npgsql connection string, e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\"");
    return 2;
}

if (!double.TryParse(args[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var ttlSeconds) || !(ttlSeconds > 0))
{
    Console.Error.WriteLine($"The TTL must be a positive number of seconds, such as 3 or 0.5; it was '{args[3]}'.");
    return 2;
}

var ttl = TimeSpan.FromSeconds(ttlSeconds);
LockProvider? created = args[0] switch
{
    "redis" => new RedisLock(new RedisLockOptions { Configuration = args[1], DefaultTtl = ttl }),
    "postgres" => new PostgresLock(new PostgresLockOptions { ConnectionString = args[1], DefaultTtl = ttl }),
    _ => null,
};
if (created is null)
{
    Console.Error.WriteLine($"The backend must be 'redis' or 'postgres'; it was '{args[0]}'.");
    return 2;
}
await using var locks = created;

var held = await locks.AcquireAsync(args[2], wait: TimeSpan.FromMinutes(1), ttl: ttl);
Console.WriteLine($"HELD {held.FencingToken.ToString(CultureInfo.InvariantCulture)}");
Console.Out.Flush();

try
{
    await Task.Delay(Timeout.InfiniteTimeSpan, held.Lost);
}
catch (OperationCanceledException)
{
    Console.WriteLine("LOST");
    return 3;
}
return 0;
