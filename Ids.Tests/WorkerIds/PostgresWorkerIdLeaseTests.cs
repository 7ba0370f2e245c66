using Coord.Ids.Snowflake;
using Coord.Ids.Tests.Segment;
using Coord.Ids.WorkerIds;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real PostgreSQL: the shared suite, plus the table's own bookkeeping.</summary>
public sealed class PostgresWorkerIdLeaseTests(PostgresWorkerIdStore store) : WorkerIdLeaseTests<PostgresWorkerIdStore>(store)
{
    [Fact]
    public async Task Live_leases_are_rows_with_an_owner_and_a_clean_release_clears_them()
    {
        var connection = await Store.NewDatabaseAsync();
        var providers = Enumerable.Range(0, 8).Select(_ => new SnowflakeGeneratorProvider(new SnowflakeOptions
        {
            WorkerIdLeaser = new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions { ConnectionString = connection }),
        })).ToList();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(async () => await p.GetAsync())));
            Assert.Equal(8, await PostgresSegmentTests.ScalarAsync<long>(connection,
                "SELECT count(*) FROM coord_worker_ids WHERE owner IS NOT NULL AND expires_at > clock_timestamp()"));
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync();
        }
        Assert.Equal(0, await PostgresSegmentTests.ScalarAsync<long>(connection, "SELECT count(*) FROM coord_worker_ids WHERE owner IS NOT NULL"));
    }

    [Fact]
    public async Task The_provider_leases_a_new_worker_id_after_losing_one()
    {
        var connection = await Store.NewDatabaseAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new SnowflakeOptions { WorkerIdLeaser = new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions { ConnectionString = connection, Pool = "re-lease" }, time) };
        await using var provider = new SnowflakeGeneratorProvider(options, time);
        var first = await provider.GetAsync();
        Assert.Same(first, await provider.GetAsync());

        await PostgresSegmentTests.ScalarAsync<int>(connection, $"UPDATE coord_worker_ids SET owner = gen_random_uuid() WHERE pool = 're-lease' AND worker_id = {first.WorkerId} RETURNING 1");
        time.Advance(TimeSpan.FromSeconds(10));
        await SegmentIdGeneratorTests.WaitUntilAsync(() => first.LeaseLost);

        var second = await provider.GetAsync();
        Assert.NotSame(first, second);
        Assert.NotEqual(first.WorkerId, second.WorkerId); // the first id is now someone else's
        Assert.Equal(second.WorkerId, second.Decode(second.Next()).WorkerId);
    }
}
