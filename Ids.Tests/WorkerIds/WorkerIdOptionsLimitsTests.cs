using Coord.Ids.Segment;
using Coord.Ids.WorkerIds;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>The lease and timeout ranges of every worker-id store's options, at their ends and one step past each.</summary>
public sealed class WorkerIdOptionsLimitsTests
{
    /// <summary>
    /// One store's options as (lease, command timeout, pool) → Validate, with the ranges it documents. The
    /// timeout's unit: PostgreSQL's is whole seconds (Npgsql rounds up), the others' any duration.
    /// </summary>
    public sealed record Store(string Name, TimeSpan MinLease, TimeSpan MinCommandTimeout, TimeSpan TimeoutUnit, Action<TimeSpan, TimeSpan, string> Validate)
    {
        public override string ToString() => Name;
    }

    private static readonly TimeSpan MaxLease = TimeSpan.FromHours(1);

    public static TheoryData<Store> Stores() =>
    [
        new Store("redis", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromTicks(1),
            (lease, timeout, pool) => new RedisWorkerIdOptions { Configuration = "127.0.0.1:1", LeaseDuration = lease, CommandTimeout = timeout, Pool = pool }.Validate()),
        new Store("postgres", TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1),
            (lease, timeout, pool) => new PostgresWorkerIdOptions { ConnectionString = "Host=127.0.0.1", LeaseDuration = lease, CommandTimeout = timeout, Pool = pool }.Validate()),
        new Store("etcd", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100), TimeSpan.FromTicks(1),
            (lease, timeout, pool) => new EtcdWorkerIdOptions { Endpoints = ["http://127.0.0.1:1"], LeaseDuration = lease, CommandTimeout = timeout, Pool = pool }.Validate()),
        new Store("zookeeper", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromTicks(1),
            (lease, timeout, pool) => new ZooKeeperWorkerIdOptions { ConnectString = "127.0.0.1:1", LeaseDuration = lease, CommandTimeout = timeout, Pool = pool }.Validate()),
    ];

    [Theory]
    [MemberData(nameof(Stores))]
    public void Lease_durations_are_accepted_at_both_ends_and_refused_one_past_each(Store store)
    {
        store.Validate(store.MinLease, store.MinCommandTimeout, "p");
        store.Validate(MaxLease, store.MinCommandTimeout, "p");

        foreach (var lease in new[] { store.MinLease - TimeSpan.FromTicks(1), MaxLease + TimeSpan.FromTicks(1), TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => store.Validate(lease, store.MinCommandTimeout, "p"));
            Assert.Equal("LeaseDuration", error.ParamName);
            Assert.Contains(" 1 h", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Command_timeouts_run_from_their_minimum_to_just_under_the_lease(Store store)
    {
        var lease = TimeSpan.FromSeconds(10);
        store.Validate(lease, store.MinCommandTimeout, "p");
        var longest = lease - store.TimeoutUnit;
        store.Validate(lease, longest, "p");

        foreach (var timeout in new[] { store.MinCommandTimeout - TimeSpan.FromTicks(1), longest + TimeSpan.FromTicks(1), lease, TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => store.Validate(lease, timeout, "p"));
            Assert.Equal("CommandTimeout", error.ParamName);
            Assert.Contains("shorter than LeaseDuration", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Pool_names_are_1_to_128_characters(Store store)
    {
        var lease = TimeSpan.FromSeconds(10);
        store.Validate(lease, TimeSpan.FromSeconds(1), "p");
        store.Validate(lease, TimeSpan.FromSeconds(1), new string('p', 128));
        foreach (var pool in new[] { "", new string('p', 129) })
        {
            var error = Assert.ThrowsAny<ArgumentException>(() => store.Validate(lease, TimeSpan.FromSeconds(1), pool));
            Assert.Contains("Pool", error.Message, StringComparison.Ordinal);
            Assert.Contains("128", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_etcd_lease_must_be_whole_seconds()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdWorkerIdOptions { Endpoints = ["http://127.0.0.1:1"], LeaseDuration = TimeSpan.FromMilliseconds(2500) }.Validate());
        Assert.Contains("whole seconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_segment_store_timeout_runs_from_1_s_to_5_min()
    {
        foreach (var ok in new[] { TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5) })
            new PostgresSegmentStoreOptions { ConnectionString = "Host=127.0.0.1", CommandTimeout = ok }.Validate();
        foreach (var bad in new[] { TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1), TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1), TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresSegmentStoreOptions { ConnectionString = "Host=127.0.0.1", CommandTimeout = bad }.Validate());
            Assert.Contains("between 1 s and 5 min", error.Message, StringComparison.Ordinal);
        }
    }
}
