using System.Diagnostics;
using System.Globalization;
using Coord.Ids.Snowflake;
using Coord.Ids.Tests.Segment;
using Coord.Ids.WorkerIds;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>
/// What every worker-id lease store must show, against its real server: two live generators never
/// share an id, a killed holder's id frees within the lease plus a second, a generator whose lease is
/// lost stops issuing before anyone else can take the id, and a restart on a clock behind the stored
/// timestamp is caught. Inherited once per backend.
/// </summary>
public abstract class WorkerIdLeaseTests<TStore>(TStore store) : IClassFixture<TStore>
    where TStore : WorkerIdLeaseStore
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(3);

    protected TStore Store => store;

    [Fact]
    public async Task Eight_concurrent_generators_get_eight_distinct_worker_ids_and_the_ninth_is_refused()
    {
        var pool = store.NewPool();
        var providers = Enumerable.Range(0, 8).Select(_ => new SnowflakeGeneratorProvider(new SnowflakeOptions
        {
            Layout = new SnowflakeLayout(timestampBits: 41, workerBits: 3, sequenceBits: 19),
            WorkerIdLeaser = store.NewLeaser(pool, TimeSpan.FromSeconds(30)),
        })).ToList();
        try
        {
            var generators = await Task.WhenAll(providers.Select(p => Task.Run(async () => await p.GetAsync())));
            Assert.Equal(Enumerable.Range(0, 8), generators.Select(g => g.WorkerId).Order());
            var ids = generators.SelectMany(g => Enumerable.Range(0, 5000).Select(_ => g.Next())).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());

            await using var ninth = store.NewLeaser(pool, TimeSpan.FromSeconds(30));
            var full = await Assert.ThrowsAsync<WorkerIdsExhaustedException>(() => ninth.AcquireAsync(maxWorkerId: 7));
            Assert.Contains($"All 8 worker ids of pool '{pool}'", full.Message);
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync();
        }

        // Released cleanly, every id is free again at once.
        await using var again = store.NewLeaser(pool, TimeSpan.FromSeconds(30));
        var leases = new List<WorkerIdLease>();
        for (var i = 0; i < 8; i++)
            leases.Add(await again.AcquireAsync(maxWorkerId: 7));
        Assert.Equal(Enumerable.Range(0, 8), leases.Select(l => l.WorkerId).Order());
        foreach (var lease in leases)
            await lease.DisposeAsync();
    }

    [Fact]
    public async Task Sigkill_of_the_holder_frees_its_worker_id_within_the_lease_plus_one_second()
    {
        var pool = store.NewPool();
        using var holder = HelperProcess.Start("worker-lease", store.Backend, store.Endpoint, pool,
            ShortLease.TotalSeconds.ToString(CultureInfo.InvariantCulture), "0");
        Assert.Equal("leased 0", await holder.ReadLineAsync(TimeSpan.FromSeconds(60)));
        await using var leaser = store.NewLeaser(pool, ShortLease);
        var busy = await Assert.ThrowsAsync<WorkerIdsExhaustedException>(() => leaser.AcquireAsync(maxWorkerId: 0));
        Assert.Contains("All 1 worker ids", busy.Message);

        holder.Kill();
        var killed = Stopwatch.StartNew();
        WorkerIdLease? taken = null;
        while (taken is null)
        {
            try
            {
                taken = await leaser.AcquireAsync(maxWorkerId: 0);
            }
            // A request the store was slow to answer (etcd with fsync on a busy disk once took over the
            // 1 s bound on a lease grant) says nothing about the dead holder's lease: ask again, same deadline.
            catch (Exception ex) when (ex is WorkerIdsExhaustedException or TimeoutException)
            {
                Assert.True(killed.Elapsed < ShortLease + TimeSpan.FromSeconds(1),
                    $"worker id 0 still leased {killed.Elapsed.TotalSeconds:0.0} s after its holder was killed (lease {ShortLease.TotalSeconds} s)");
                await Task.Delay(50);
            }
        }
        await using (taken)
        {
            Assert.True(killed.Elapsed <= ShortLease + TimeSpan.FromSeconds(1), $"freed after {killed.Elapsed.TotalSeconds:0.0} s; lease {ShortLease.TotalSeconds} s + 1 s allowed");
            // The dead holder reserved timestamps up to its lease's end; the next generator starts after them.
            Assert.True(taken.LastIssuedUnixMs > 0, "the dead holder's reservation must be stored");
            await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser, MaxStartupClockWait = TimeSpan.FromSeconds(10) }, taken);
            Assert.True(generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds() > taken.LastIssuedUnixMs);
        }
    }

    [Fact]
    public async Task A_generator_cut_off_from_the_store_stops_issuing_before_another_can_take_its_worker_id()
    {
        var pool = store.NewPool();
        await using var leaser = store.NewLeaser(pool, ShortLease);
        var lease = await leaser.AcquireAsync(maxWorkerId: 0);
        await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, lease);
        generator.Next();
        var lostAt = 0L;
        lease.Lost.Register(() => Volatile.Write(ref lostAt, Stopwatch.GetTimestamp()));

        // Renewals hang while the server is stopped; its own expiry clock keeps running and acts once it resumes.
        using (store.CutOff())
            await Task.Delay(ShortLease + TimeSpan.FromSeconds(1));

        await using var other = store.NewLeaser(pool, ShortLease);
        WorkerIdLease? taken = null;
        var deadline = Stopwatch.StartNew();
        while (taken is null)
        {
            try
            {
                taken = await other.AcquireAsync(maxWorkerId: 0);
            }
            catch (WorkerIdsExhaustedException) when (deadline.Elapsed < TimeSpan.FromSeconds(15))
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
    public async Task A_generator_whose_worker_id_was_taken_away_stops_issuing_at_its_next_renewal()
    {
        var pool = store.NewPool();
        await using var leaser = store.NewLeaser(pool, ShortLease);
        var lease = await leaser.AcquireAsync(maxWorkerId: 0);
        await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, lease);
        generator.Next();

        await store.TakeAwayAsync(pool, 0);
        await SegmentIdGeneratorTests.WaitUntilAsync(() => lease.Lost.IsCancellationRequested); // renewed every second
        var error = Assert.Throws<InvalidOperationException>(() => generator.Next());
        Assert.Contains("lease on worker id 0 was lost", error.Message);
    }

    [Fact]
    public async Task A_restart_on_a_clock_behind_the_stored_timestamp_waits_for_a_small_gap_and_refuses_a_large_one()
    {
        var pool = store.NewPool();
        var lease = TimeSpan.FromSeconds(30);
        var start = DateTimeOffset.UtcNow;
        long lastIssuedBeforeRestart;
        {
            var time = new FakeTimeProvider(start);
            await using var leaser = store.NewLeaser(pool, lease, time);
            await using var generator = await SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, await leaser.AcquireAsync(0), time);
            // While held, the store keeps a reservation ahead of the clock (up to the lease's end; ZooKeeper may grant a shorter session).
            Assert.InRange(await store.StoredLastAsync(pool, 0) ?? 0, start.ToUnixTimeMilliseconds() + 1_000, start.ToUnixTimeMilliseconds() + (long)lease.TotalMilliseconds);
            generator.Next();
            time.Advance(TimeSpan.FromMilliseconds(40));
            lastIssuedBeforeRestart = generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds();
        }
        Assert.Equal(lastIssuedBeforeRestart, await store.StoredLastAsync(pool, 0)); // a clean release stores the exact last timestamp

        // Large gap: 10 s behind. Start-up refuses and says by how much.
        {
            var time = new FakeTimeProvider(start.AddSeconds(-10));
            await using var leaser = store.NewLeaser(pool, lease, time);
            var held = await leaser.AcquireAsync(0);
            var error = await Assert.ThrowsAsync<ClockBehindStoredTimestampException>(() => SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, held, time));
            Assert.Equal(0, error.WorkerId);
            Assert.Equal(TimeSpan.FromMilliseconds(10_040), error.Gap);
            Assert.Contains("10040 ms behind", error.Message);
            await held.DisposeAsync();
        }

        // Small gap: 460 ms behind. Start-up waits until the clock passes the stored timestamp.
        {
            var time = new FakeTimeProvider(start.AddMilliseconds(-420));
            await using var leaser = store.NewLeaser(pool, lease, time);
            var starting = SnowflakeGenerator.StartAsync(new SnowflakeOptions { WorkerIdLeaser = leaser }, await leaser.AcquireAsync(0), time);
            await Task.Delay(200);
            Assert.False(starting.IsCompleted, "start-up must wait while the clock is behind the stored timestamp");
            time.Advance(TimeSpan.FromMilliseconds(461));
            await using var generator = await starting.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(generator.Decode(generator.Next()).Timestamp.ToUnixTimeMilliseconds() > lastIssuedBeforeRestart);
        }
    }
}
