using System.Diagnostics;
using Coord.Ids.Snowflake;
using Coord.Ids.WorkerIds;
using Coord.Testing;
using StackExchange.Redis;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>Snowflake worker ids leased from a real redis-server.</summary>
public sealed class RedisWorkerIdLeaseTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private int _pools;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync("ids-redis");

    public async Task DisposeAsync()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }

    private RedisWorkerIdOptions Options(TimeSpan? lease = null) => new()
    {
        Configuration = _redis.Endpoint,
        Pool = $"p{Interlocked.Increment(ref _pools)}",
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
        CommandTimeout = TimeSpan.FromSeconds(2), // a loaded CI machine can stall a reply for most of a second
    };

    [Fact]
    public async Task Eight_concurrent_generators_get_eight_distinct_worker_ids_and_the_ninth_is_refused()
    {
        var options = Options();
        var providers = Enumerable.Range(0, 8).Select(_ => new SnowflakeGeneratorProvider(new SnowflakeOptions
        {
            Layout = new SnowflakeLayout(timestampBits: 41, workerBits: 3, sequenceBits: 19),
            WorkerIdLeaser = new RedisWorkerIdLeaser(options),
        })).ToList();
        try
        {
            var generators = await Task.WhenAll(providers.Select(p => Task.Run(async () => await p.GetAsync())));
            Assert.Equal(Enumerable.Range(0, 8), generators.Select(g => g.WorkerId).Order());
            var ids = generators.SelectMany(g => Enumerable.Range(0, 5000).Select(_ => g.Next())).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());

            await using var ninth = new RedisWorkerIdLeaser(options);
            var full = await Assert.ThrowsAsync<InvalidOperationException>(() => ninth.AcquireAsync(maxWorkerId: 7));
            Assert.Contains("All 8 worker ids", full.Message);
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sigkill_of_the_holder_frees_its_worker_id_within_the_lease_plus_one_second()
    {
        var options = Options(TimeSpan.FromSeconds(3));
        using var holder = HelperProcess.Start("worker-lease-redis", _redis.Endpoint, options.Pool, "3", "0");
        Assert.Equal("leased 0", await holder.ReadLineAsync(TimeSpan.FromSeconds(60)));
        await using var leaser = new RedisWorkerIdLeaser(options);
        await Assert.ThrowsAsync<InvalidOperationException>(() => leaser.AcquireAsync(maxWorkerId: 0));

        holder.Kill();
        var killed = Stopwatch.StartNew();
        WorkerIdLease? taken = null;
        while (taken is null)
        {
            try
            {
                taken = await leaser.AcquireAsync(maxWorkerId: 0);
            }
            catch (InvalidOperationException)
            {
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(4), $"worker id 0 still leased {killed.Elapsed.TotalSeconds:0.0} s after its holder was killed (lease 3 s)");
                await Task.Delay(50);
            }
        }
        await using (taken)
        {
            Assert.True(killed.Elapsed <= TimeSpan.FromSeconds(4), $"freed after {killed.Elapsed.TotalSeconds:0.0} s; lease 3 s + 1 s allowed");
            // The dead holder reserved timestamps up to its lease's end; the next generator starts after them.
            await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser, MaxStartupClockWait = TimeSpan.FromSeconds(10) }, taken);
            Assert.True(generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds() > taken.LastIssuedUnixMs);
        }
    }

    [Fact]
    public async Task A_generator_cut_off_from_redis_stops_issuing_before_another_can_take_its_worker_id()
    {
        var options = Options(TimeSpan.FromSeconds(3));
        await using var leaser = new RedisWorkerIdLeaser(options);
        var lease = await leaser.AcquireAsync(maxWorkerId: 0);
        await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, lease);
        generator.Next();
        var lostAt = 0L;
        lease.Lost.Register(() => Volatile.Write(ref lostAt, Stopwatch.GetTimestamp()));

        _redis.Pause(); // renewals hang; the server's own expiry clock keeps running
        await Task.Delay(TimeSpan.FromSeconds(4));
        _redis.Resume();
        await using var other = new RedisWorkerIdLeaser(options);
        WorkerIdLease? taken = null;
        var deadline = Stopwatch.StartNew();
        while (taken is null)
        {
            try
            {
                taken = await other.AcquireAsync(maxWorkerId: 0);
            }
            catch (InvalidOperationException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
        var takenAt = Stopwatch.GetTimestamp();
        await using (taken)
        {
            Assert.True(Volatile.Read(ref lostAt) != 0 && lostAt < takenAt, "the cut-off generator must count its lease lost before anyone else gets the id");
            var error = Assert.Throws<InvalidOperationException>(() => generator.Next());
            Assert.Contains("lease on worker id 0 was lost", error.Message);
        }
    }

    [Fact]
    public async Task A_restart_on_a_clock_behind_the_stored_timestamp_is_refused()
    {
        var options = Options();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        long last;
        await using (var leaser = new RedisWorkerIdLeaser(options, time))
        {
            await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, await leaser.AcquireAsync(0), time);
            generator.Next();
            time.Advance(TimeSpan.FromMilliseconds(40));
            last = generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds();
        }
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.Endpoint);
        Assert.Equal(last, (long)await connection.GetDatabase().StringGetAsync($"coord:worker-ids:{options.Pool}:last:0"));

        var behind = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(time.GetUtcNow().AddSeconds(-10));
        await using var restarted = new RedisWorkerIdLeaser(options, behind);
        var lease = await restarted.AcquireAsync(0);
        var error = await Assert.ThrowsAsync<ClockBehindStoredTimestampException>(() => SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = restarted }, lease, behind));
        Assert.Equal(TimeSpan.FromSeconds(10), error.Gap);
        Assert.Contains("10000 ms behind", error.Message);
        await lease.DisposeAsync();
    }
}
