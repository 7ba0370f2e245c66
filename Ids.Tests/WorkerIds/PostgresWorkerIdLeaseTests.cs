using System.Diagnostics;
using Coord.Ids.Snowflake;
using Coord.Ids.Tests.Segment;
using Coord.Ids.WorkerIds;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real PostgreSQL.</summary>
public sealed class PostgresWorkerIdLeaseTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Eight_concurrent_generators_get_eight_distinct_worker_ids()
    {
        var connection = await postgres.NewDatabaseAsync();
        var providers = Enumerable.Range(0, 8).Select(_ => new SnowflakeGeneratorProvider(new SnowflakeOptions
        {
            WorkerIdLeaser = new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions { ConnectionString = connection }),
        })).ToList();
        try
        {
            var generators = await Task.WhenAll(providers.Select(p => Task.Run(async () => await p.GetAsync())));
            Assert.Equal(8, generators.Select(g => g.WorkerId).Distinct().Count());
            var ids = generators.SelectMany(g => Enumerable.Range(0, 5000).Select(_ => g.Next())).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
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
    public async Task A_killed_owners_worker_id_is_reusable_once_its_lease_expires()
    {
        var connection = await postgres.NewDatabaseAsync();
        var options = new PostgresWorkerIdOptions { ConnectionString = connection, Pool = "kill", LeaseDuration = TimeSpan.FromSeconds(6), CommandTimeout = TimeSpan.FromSeconds(3) };
        using var owner = HelperProcess.Start("worker-lease", connection, "kill", "6", "1");
        Assert.Equal("leased 0", await owner.ReadLineAsync(TimeSpan.FromSeconds(60)));

        await using var leaser = new PostgresWorkerIdLeaser(options);
        await using var other = await leaser.AcquireAsync(maxWorkerId: 1);
        Assert.Equal(1, other.WorkerId);

        owner.Kill();
        var killedAt = Stopwatch.StartNew();
        var busy = await Assert.ThrowsAsync<InvalidOperationException>(() => leaser.AcquireAsync(maxWorkerId: 1));
        Assert.Contains("All 2 worker ids of pool 'kill'", busy.Message);

        WorkerIdLease? reused = null;
        while (reused is null)
        {
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(30), "the dead owner's lease never expired");
            await Task.Delay(250);
            try
            {
                reused = await leaser.AcquireAsync(maxWorkerId: 1);
            }
            catch (InvalidOperationException)
            {
                // still leased
            }
        }
        await using (reused)
        {
            Assert.Equal(0, reused.WorkerId);
            // The dead owner reserved timestamps up to its lease's end; a generator on the id starts after them.
            await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, reused);
            Assert.True(generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds() > reused.LastIssuedUnixMs);
        }
    }

    [Fact]
    public async Task A_restart_on_a_clock_behind_the_stored_timestamp_waits_for_a_small_gap_and_refuses_a_large_one()
    {
        var connection = await postgres.NewDatabaseAsync();
        var leaseOptions = new PostgresWorkerIdOptions { ConnectionString = connection, Pool = "clock" };
        var start = DateTimeOffset.UtcNow;
        long lastIssuedBeforeRestart;
        {
            var time = new FakeTimeProvider(start);
            await using var leaser = new PostgresWorkerIdLeaser(leaseOptions, time);
            var options = new SnowflakeOptions { WorkerIdLeaser = leaser };
            await using var generator = await SnowflakeGenerator.StartAsync(options, await leaser.AcquireAsync(0), time);
            generator.Next();
            time.Advance(TimeSpan.FromMilliseconds(40));
            lastIssuedBeforeRestart = generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds();
        }
        Assert.Equal(lastIssuedBeforeRestart, await PostgresSegmentTests.ScalarAsync<long>(connection, "SELECT last_timestamp_ms FROM coord_worker_ids WHERE pool = 'clock'"));

        // Large gap: 10 s behind. Start-up refuses and says by how much.
        {
            var time = new FakeTimeProvider(start.AddSeconds(-10));
            await using var leaser = new PostgresWorkerIdLeaser(leaseOptions, time);
            var options = new SnowflakeOptions { WorkerIdLeaser = leaser };
            var lease = await leaser.AcquireAsync(0);
            var error = await Assert.ThrowsAsync<ClockBehindStoredTimestampException>(() => SnowflakeGenerator.StartAsync(options, lease, time));
            Assert.Equal(0, error.WorkerId);
            Assert.Equal(TimeSpan.FromMilliseconds(10_040), error.Gap);
            Assert.Contains("10040 ms behind", error.Message);
            await lease.DisposeAsync();
        }

        // Small gap: 500 ms behind. Start-up waits until the clock passes the stored timestamp.
        {
            var time = new FakeTimeProvider(start.AddMilliseconds(-460));
            await using var leaser = new PostgresWorkerIdLeaser(leaseOptions, time);
            var options = new SnowflakeOptions { WorkerIdLeaser = leaser };
            var starting = SnowflakeGenerator.StartAsync(options, await leaser.AcquireAsync(0), time);
            await Task.Delay(200);
            Assert.False(starting.IsCompleted, "start-up must wait while the clock is behind the stored timestamp");
            time.Advance(TimeSpan.FromMilliseconds(501));
            await using var generator = await starting.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds() > lastIssuedBeforeRestart);
        }
    }

    [Fact]
    public async Task A_generator_whose_lease_was_taken_away_stops_issuing()
    {
        var connection = await postgres.NewDatabaseAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var leaser = new PostgresWorkerIdLeaser(new PostgresWorkerIdOptions { ConnectionString = connection, Pool = "lost", LeaseDuration = TimeSpan.FromSeconds(30) }, time);
        var options = new SnowflakeOptions { WorkerIdLeaser = leaser };
        var lease = await leaser.AcquireAsync(0);
        await using var generator = await SnowflakeGenerator.StartAsync(options, lease, time);
        generator.Next();

        await PostgresSegmentTests.ScalarAsync<int>(connection, "UPDATE coord_worker_ids SET owner = gen_random_uuid() WHERE pool = 'lost' RETURNING 1");
        time.Advance(TimeSpan.FromSeconds(10)); // the renewal is due and finds the row no longer ours
        await SegmentIdGeneratorTests.WaitUntilAsync(() => lease.Lost.IsCancellationRequested);
        var error = Assert.Throws<InvalidOperationException>(() => generator.Next());
        Assert.Contains("lease on worker id 0 was lost", error.Message);
    }

    [Fact]
    public async Task The_provider_leases_a_new_worker_id_after_losing_one()
    {
        var connection = await postgres.NewDatabaseAsync();
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
