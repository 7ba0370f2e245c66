using Coord.Service.Locks.Backends;

namespace Coord.Service.Locks;

/// <summary>Every backend type the service knows, by its <c>Type</c> name.</summary>
public static class LockBackendFactories
{
    public static IReadOnlyList<ILockBackendFactory> All { get; } =
    [
        new InMemoryBackendFactory(),
        new RedisBackendFactory(),
        new RedLockBackendFactory(),
        new EtcdBackendFactory(),
        new PostgresBackendFactory(),
        new ZooKeeperBackendFactory(),
    ];
}
