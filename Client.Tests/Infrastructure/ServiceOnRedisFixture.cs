using Coord.Locks.Redis;
using Coord.Locks.Tests.Redis;

namespace Coord.Client.Tests.Infrastructure;

/// <summary>A throwaway redis-server and the service over it; <see cref="Redis"/> reaches behind the service's back.</summary>
public sealed class ServiceOnRedisFixture : ServiceFixture
{
    public const string KeyPrefix = "coord:";

    public RedisServerFixture Redis { get; } = new();

    protected override async Task<(string Type, IReadOnlyDictionary<string, string> Settings)> StartBackendAsync()
    {
        await Redis.InitializeAsync();
        return ("redis", new Dictionary<string, string> { ["Configuration"] = Redis.Server.ConnectionString, ["KeyPrefix"] = KeyPrefix });
    }

    protected override Task StopBackendAsync() => Redis.DisposeAsync();

    /// <summary>Deletes the hold of <paramref name="name"/> on Redis itself; false when nobody held it.</summary>
    public Task<bool> TakeAwayAsync(string name) => Redis.Raw.GetDatabase().KeyDeleteAsync(new RedisLockKeys(KeyPrefix, name).Lock);
}
