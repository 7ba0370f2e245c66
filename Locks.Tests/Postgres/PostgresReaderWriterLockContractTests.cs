using Coord.Locks.Postgres;
using Coord.Locks.Tests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests.Postgres;

[Collection(PostgresTestCollection.Name)]
public sealed class PostgresReaderWriterLockContractTests(PostgresServerFixture postgres) : ReaderWriterLockContractTests, IClassFixture<PostgresServerFixture>
{
    // Waiters refresh their place (and look again) every third of the place lease: at its longest, so that only a
    // hand-off can let a waiter in within a test (the lock's own re-check would hide a missing one).
    protected override Task<ReaderWriterLockProvider> CreateClientCoreAsync()
        => Task.FromResult<ReaderWriterLockProvider>(new PostgresReaderWriterLock(new PostgresLockOptions
        {
            ConnectionString = postgres.Server.ConnectionString,
            WaiterLease = TimeSpan.FromMinutes(10),
        }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
        => Assert.Equal(1, await postgres.ExecuteAsync("DELETE FROM public.coord_locks_rw_holders WHERE name = $1 AND holder = $2", name, Guid.ParseExact(holderToken, "N")));

    protected override async Task<int> WaitingAsync(string name)
        => (int)await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_rw_waiters WHERE name = $1", name);

    [Fact]
    public async Task A_reader_writer_lock_a_semaphore_and_a_lock_of_the_same_name_do_not_exclude_each_other()
    {
        var name = NewName("apart");
        var rw = await CreateClientAsync();
        var options = new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString };
        await using var locks = new PostgresLock(options);
        await using var semaphores = new PostgresSemaphore(options);
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphores.AcquireAsync(name, 1);
        await using var write = await rw.TryAcquireWriteLockAsync(name);
        Assert.NotNull(write);
        Assert.Null(await semaphores.TryAcquireAsync(name, 1));
        Assert.Null(await rw.TryAcquireReadLockAsync(name));
    }

    [Fact]
    public async Task The_holders_table_marks_writers_exclusive_and_an_idle_name_keeps_only_its_fence_row()
    {
        var name = NewName("idle");
        var client = await CreateClientAsync();
        var write = await client.AcquireWriteLockAsync(name);
        Assert.False(await postgres.ScalarAsync<bool>("SELECT shared FROM public.coord_locks_rw_holders WHERE name = $1", name));
        await write.ReleaseAsync();
        var read = await client.AcquireReadLockAsync(name);
        Assert.True(await postgres.ScalarAsync<bool>("SELECT shared FROM public.coord_locks_rw_holders WHERE name = $1", name));
        await read.ReleaseAsync();

        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_rw_holders WHERE name = $1", name));
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_rw_waiters WHERE name = $1", name));
        Assert.Equal(read.FencingToken, await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks_rw WHERE name = $1", name));
        await using var again = await client.AcquireWriteLockAsync(name);
        Assert.Equal(read.FencingToken + 1, again.FencingToken);
    }

    [Fact]
    public async Task AddPostgresReaderWriterLock_registers_a_working_lock_and_refuses_bad_options_at_registration()
    {
        var services = new ServiceCollection().AddPostgresReaderWriterLock(o => o.ConnectionString = postgres.Server.ConnectionString);
        await using (var provider = services.BuildServiceProvider())
        {
            var locks = provider.GetRequiredService<IReaderWriterLock>();
            Assert.IsType<PostgresReaderWriterLock>(locks);
            Assert.Equal("postgres", locks.Backend);
            var name = NewName("di");
            await using var read = await locks.AcquireReadLockAsync(name);
            Assert.Null(await locks.TryAcquireWriteLockAsync(name));
        }

        var keyed = new ServiceCollection().AddPostgresReaderWriterLock(o => o.ConnectionString = postgres.Server.ConnectionString, name: "sql");
        await using (var provider = keyed.BuildServiceProvider())
        {
            Assert.IsType<PostgresReaderWriterLock>(provider.GetRequiredKeyedService<IReaderWriterLock>("sql"));
            Assert.Null(provider.GetService<IReaderWriterLock>());
        }

        var empty = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => empty.AddPostgresReaderWriterLock(o => o.TableName = "Bad-Name"));
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.Empty(empty);
    }
}
