// Takes and releases a lock through the packed Coord.Locks.Redis, as an application would.
// Usage: PackageSmoke <redis configuration>. Exit code 0 when every step held, 1 otherwise.
using Coord.Locks;
using Coord.Locks.Redis;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackageSmoke <redis configuration, e.g. 127.0.0.1:6379>");
    return 2;
}

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var ct = timeout.Token;
await using ILock first = new RedisLock(new RedisLockOptions { Configuration = args[0] });
await using ILock second = new RedisLock(new RedisLockOptions { Configuration = args[0] });

long fence;
await using (var held = await first.AcquireAsync("package-smoke", wait: TimeSpan.FromSeconds(10), cancellationToken: ct))
{
    fence = held.FencingToken;
    if (await second.TryAcquireAsync("package-smoke", cancellationToken: ct) is { } intruder)
    {
        await intruder.DisposeAsync();
        Console.Error.WriteLine("FAIL: a second provider took the lock while the first held it");
        return 1;
    }
}

await using (var again = await second.AcquireAsync("package-smoke", wait: TimeSpan.FromSeconds(10), cancellationToken: ct))
{
    if (again.FencingToken <= fence)
    {
        Console.Error.WriteLine($"FAIL: fencing token {again.FencingToken} after release is not above {fence}");
        return 1;
    }
    Console.WriteLine($"ok: lock taken (fence {fence}), refused to a second holder, released, taken again (fence {again.FencingToken})");
}
return 0;
