using Coord.Locks.Etcd;
using Coord.Locks.InMemory;
using Coord.Locks.Postgres;
using Coord.Locks.ZooKeeper;
using Coord.Locks.Redis;
using Coord.Locks.RedLock;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests;

public sealed class LockServiceCollectionTests
{
    [Fact]
    public async Task A_registered_lock_is_one_singleton_that_locks()
    {
        var services = new ServiceCollection().AddInMemoryLock(o => o.Store = new InMemoryLockStore(TimeProvider.System));
        await using var provider = services.BuildServiceProvider();
        var locks = provider.GetRequiredService<ILock>();
        Assert.Same(locks, provider.GetRequiredService<ILock>());
        Assert.Same(locks, provider.GetRequiredService<ILockLeases>()); // the token-lease side of the same provider
        Assert.Equal("inmemory", locks.Backend);
        await using var held = await locks.AcquireAsync("di/one");
        Assert.Null(await locks.TryAcquireAsync("di/one"));
    }

    [Fact]
    public async Task Named_registrations_give_several_backends_side_by_side()
    {
        var services = new ServiceCollection()
            .AddInMemoryLock(name: "local")
            .AddRedisLock(o => o.Configuration = "127.0.0.1:1", name: "cache")
            .AddRedLock(o => o.Masters = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], name: "quorum")
            .AddEtcdLock(o => o.Endpoints = ["http://127.0.0.1:1"], name: "etcd")
            .AddPostgresLock(o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=x", name: "sql")
            .AddZooKeeperLock(o => o.ConnectString = "127.0.0.1:1", name: "zk");
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<ILock>("local").Backend);
        Assert.Equal("redis", provider.GetRequiredKeyedService<ILock>("cache").Backend);
        Assert.Equal("redlock", provider.GetRequiredKeyedService<ILock>("quorum").Backend);
        Assert.Equal("etcd", provider.GetRequiredKeyedService<ILock>("etcd").Backend);
        Assert.Equal("postgres", provider.GetRequiredKeyedService<ILock>("sql").Backend);
        Assert.Same(provider.GetRequiredKeyedService<ILock>("zk"), provider.GetRequiredKeyedService<ILockLeases>("zk"));
        Assert.False(provider.GetRequiredKeyedService<ILockLeases>("zk").RenewsFromAnyProcess);
        Assert.True(provider.GetRequiredKeyedService<ILockLeases>("sql").RenewsFromAnyProcess);
        Assert.Equal("zookeeper", provider.GetRequiredKeyedService<ILock>("zk").Backend);
        Assert.Null(provider.GetService<ILock>());
    }

    [Fact]
    public void Bad_options_fail_at_registration_saying_what_is_allowed()
    {
        var services = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => services.AddRedisLock(o => o.DefaultTtl = TimeSpan.FromDays(3)));
        Assert.Contains("at most 1 day", ex.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }

    [Fact]
    public async Task A_registered_semaphore_is_one_singleton_that_admits_max_count_holders()
    {
        var services = new ServiceCollection().AddInMemorySemaphore(o => o.Store = new InMemoryLockStore(TimeProvider.System));
        await using var provider = services.BuildServiceProvider();
        var semaphores = provider.GetRequiredService<ISemaphore>();
        Assert.Same(semaphores, provider.GetRequiredService<ISemaphore>());
        Assert.Equal("inmemory", semaphores.Backend);
        await using var first = await semaphores.AcquireAsync("di/two", maxCount: 2);
        await using var second = await semaphores.AcquireAsync("di/two", maxCount: 2);
        Assert.Null(await semaphores.TryAcquireAsync("di/two", maxCount: 2));
        Assert.Null(provider.GetService<ILock>()); // a semaphore registration is not a lock
    }

    [Fact]
    public async Task Named_semaphore_registrations_sit_beside_each_other_and_beside_locks()
    {
        var services = new ServiceCollection()
            .AddInMemorySemaphore(name: "local")
            .AddRedisSemaphore(o => o.Configuration = "127.0.0.1:1", name: "cache")
            .AddInMemoryLock(name: "local");
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<ISemaphore>("local").Backend);
        Assert.Equal("redis", provider.GetRequiredKeyedService<ISemaphore>("cache").Backend);
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<ILock>("local").Backend);
        Assert.Null(provider.GetService<ISemaphore>());
    }

    [Fact]
    public void Bad_semaphore_options_fail_at_registration_saying_what_is_allowed()
    {
        var services = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => services.AddRedisSemaphore(o => o.DefaultTtl = TimeSpan.FromDays(3)));
        Assert.Contains("at most 1 day", ex.Message, StringComparison.Ordinal);
        Assert.Empty(services);
        Assert.Throws<ArgumentNullException>(() => services.AddRedisSemaphore(null!));
    }

    [Fact]
    public async Task A_registered_reader_writer_lock_is_one_singleton_that_shares_reads_and_excludes_writes()
    {
        var services = new ServiceCollection().AddInMemoryReaderWriterLock(o => o.Store = new InMemoryLockStore(TimeProvider.System));
        await using var provider = services.BuildServiceProvider();
        var rwLocks = provider.GetRequiredService<IReaderWriterLock>();
        Assert.Same(rwLocks, provider.GetRequiredService<IReaderWriterLock>());
        Assert.Equal("inmemory", rwLocks.Backend);
        await using (var first = await rwLocks.AcquireReadLockAsync("di/rw"))
        await using (var second = await rwLocks.AcquireReadLockAsync("di/rw"))
            Assert.Null(await rwLocks.TryAcquireWriteLockAsync("di/rw"));
        await using var write = await rwLocks.AcquireWriteLockAsync("di/rw", wait: TimeSpan.FromSeconds(5));
        Assert.Null(await rwLocks.TryAcquireReadLockAsync("di/rw"));
        Assert.Null(provider.GetService<ILock>()); // a reader-writer lock registration is neither a lock
        Assert.Null(provider.GetService<ISemaphore>()); // nor a semaphore
    }

    [Fact]
    public async Task Named_reader_writer_lock_registrations_sit_beside_each_other_and_beside_semaphores()
    {
        var services = new ServiceCollection()
            .AddInMemoryReaderWriterLock(name: "local")
            .AddRedisReaderWriterLock(o => o.Configuration = "127.0.0.1:1", name: "cache")
            .AddInMemorySemaphore(name: "local");
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<IReaderWriterLock>("local").Backend);
        Assert.Equal("redis", provider.GetRequiredKeyedService<IReaderWriterLock>("cache").Backend);
        Assert.Equal("inmemory", provider.GetRequiredKeyedService<ISemaphore>("local").Backend);
        Assert.Null(provider.GetService<IReaderWriterLock>());
    }

    [Fact]
    public void Bad_reader_writer_lock_options_fail_at_registration_saying_what_is_allowed()
    {
        var services = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => services.AddRedisReaderWriterLock(o => o.DefaultTtl = TimeSpan.FromDays(3)));
        Assert.Contains("at most 1 day", ex.Message, StringComparison.Ordinal);
        Assert.Empty(services);
        Assert.Throws<ArgumentNullException>(() => services.AddRedisReaderWriterLock(null!));
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddInMemoryReaderWriterLock());
    }
}
