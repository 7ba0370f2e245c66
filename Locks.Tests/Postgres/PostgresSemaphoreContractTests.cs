using Coord.Locks.Postgres;
using Coord.Locks.Tests.Contract;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Locks.Tests.Postgres;

[Collection(PostgresTestCollection.Name)]
public sealed class PostgresSemaphoreContractTests(PostgresServerFixture postgres) : SemaphoreContractTests, IClassFixture<PostgresServerFixture>
{
    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
        => Task.FromResult<SemaphoreProvider>(new PostgresSemaphore(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString }));

    protected override async Task TakeAwayAsync(string name, string holderToken)
        => Assert.Equal(1, await postgres.ExecuteAsync("DELETE FROM public.coord_locks_sem_holders WHERE name = $1 AND holder = $2", name, Guid.ParseExact(holderToken, "N")));

    protected override async Task<int> WaitingAsync(string name)
        => (int)await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_waiters WHERE name = $1", name);

    [Fact]
    public async Task A_semaphore_and_a_lock_of_the_same_name_do_not_exclude_each_other()
    {
        var name = NewName("apart");
        var semaphore = await CreateClientAsync();
        await using var locks = new PostgresLock(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString });
        await using var held = await locks.AcquireAsync(name);
        await using var permit = await semaphore.TryAcquireAsync(name, 1);
        Assert.NotNull(permit);
        Assert.Null(await locks.TryAcquireAsync(name));
        Assert.Null(await semaphore.TryAcquireAsync(name, 1));
    }

    [Fact]
    public async Task An_idle_name_leaves_only_its_row_with_the_fence_and_the_next_grant_continues_from_it()
    {
        var name = NewName("idle");
        var client = await CreateClientAsync();
        var first = await client.AcquireAsync(name, 2);
        var second = await client.AcquireAsync(name, 2);
        Assert.Equal(2L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_holders WHERE name = $1", name));
        await first.ReleaseAsync();
        await second.ReleaseAsync();

        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_holders WHERE name = $1", name));
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_sem_waiters WHERE name = $1", name));
        Assert.Equal(second.FencingToken, await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks_sem WHERE name = $1", name));
        await using var again = await client.AcquireAsync(name, 5);
        Assert.Equal(second.FencingToken + 1, again.FencingToken);
        Assert.Equal(5, await postgres.ScalarAsync<int>("SELECT max_count FROM public.coord_locks_sem WHERE name = $1", name));
    }

    [Fact]
    public async Task AddPostgresSemaphore_registers_a_working_semaphore_and_refuses_bad_options_at_registration()
    {
        var services = new ServiceCollection().AddPostgresSemaphore(o => o.ConnectionString = postgres.Server.ConnectionString);
        await using (var provider = services.BuildServiceProvider())
        {
            var semaphores = provider.GetRequiredService<ISemaphore>();
            Assert.IsType<PostgresSemaphore>(semaphores);
            Assert.Equal("postgres", semaphores.Backend);
            var name = NewName("di");
            await using var one = await semaphores.AcquireAsync(name, 2);
            await using var two = await semaphores.AcquireAsync(name, 2);
            Assert.Null(await semaphores.TryAcquireAsync(name, 2));
        }

        var keyed = new ServiceCollection().AddPostgresSemaphore(o => o.ConnectionString = postgres.Server.ConnectionString, name: "sql");
        await using (var provider = keyed.BuildServiceProvider())
        {
            Assert.IsType<PostgresSemaphore>(provider.GetRequiredKeyedService<ISemaphore>("sql"));
            Assert.Null(provider.GetService<ISemaphore>());
        }

        var empty = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => empty.AddPostgresSemaphore(o => o.TableName = "Bad-Name"));
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
        var badTable = Assert.ThrowsAny<ArgumentException>(() => empty.AddPostgresSemaphore(o => { o.ConnectionString = postgres.Server.ConnectionString; o.TableName = "Bad-Name"; }));
        Assert.Contains("TableName", badTable.Message, StringComparison.Ordinal);
        Assert.Empty(empty);
    }
}
