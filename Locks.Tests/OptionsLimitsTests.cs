using Coord.Locks.Etcd;
using Coord.Locks.Postgres;
using Coord.Locks.Redis;
using Coord.Locks.RedLock;
using Coord.Locks.ZooKeeper;

namespace Coord.Locks.Tests;

/// <summary>
/// Every backend's options at the ends of each range and one step past each: accepted up front, or refused up
/// front by <see cref="LockOptions.Validate"/> with a message that names the setting and says what is allowed
/// (never an overflow on the way to saying it).
/// </summary>
public sealed class OptionsLimitsTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    /// <summary>Valid options of every backend; each test changes one setting.</summary>
    public static TheoryData<string> Backends => ["base", "redis", "postgres", "etcd", "zookeeper", "redlock"];

    private static LockOptions Valid(string backend) => backend switch
    {
        "base" => new LockOptions(),
        "redis" => new RedisLockOptions { Configuration = "127.0.0.1:1" },
        "postgres" => new PostgresLockOptions { ConnectionString = "Host=127.0.0.1" },
        "etcd" => new EtcdLockOptions { Endpoints = ["http://127.0.0.1:1"] },
        // The shortest session Coord asks for, so that the shared TTL range below applies to ZooKeeper too.
        "zookeeper" => new ZooKeeperLockOptions { ConnectString = "127.0.0.1:1", MinimumSessionTimeout = TimeSpan.FromMilliseconds(100) },
        "redlock" => new RedLockOptions { Masters = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"] },
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "not a backend of this test"),
    };

    private static void Refused(LockOptions options, string setting, string allowed)
    {
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains(setting, (error.ParamName ?? "") + " " + error.Message, StringComparison.Ordinal);
        Assert.Contains(allowed, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void The_default_ttl_runs_from_the_shortest_to_the_longest_lease(string backend)
    {
        foreach (var ttl in new[] { TimeSpan.FromMilliseconds(100), LockOptions.MaximumTtl })
        {
            var options = Valid(backend);
            options.DefaultTtl = ttl;
            options.Validate();
        }
        // ZooKeeper's floor is its shortest session (100 ms here), above the library's.
        if (backend != "zookeeper")
        {
            var shortest = Valid(backend);
            shortest.DefaultTtl = LockOptions.MinimumTtl;
            shortest.Validate();
        }
        foreach (var ttl in new[] { LockOptions.MinimumTtl - Tick, LockOptions.MaximumTtl + Tick, TimeSpan.Zero, Timeout.InfiniteTimeSpan, TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var options = Valid(backend);
            options.DefaultTtl = ttl;
            Refused(options, "DefaultTtl", "at most 1 day");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void The_connect_timeout_is_more_than_0_and_at_most_5_minutes(string backend)
    {
        foreach (var timeout in new[] { Tick, TimeSpan.FromMinutes(5) })
        {
            var options = Valid(backend);
            options.ConnectTimeout = timeout;
            options.Validate();
        }
        foreach (var timeout in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(5) + Tick, TimeSpan.MinValue, TimeSpan.MaxValue, Timeout.InfiniteTimeSpan })
        {
            var options = Valid(backend);
            options.ConnectTimeout = timeout;
            Refused(options, "ConnectTimeout", "more than 0 and at most 5 minutes");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void The_clock_drift_factor_is_at_least_0_and_below_one_half(string backend)
    {
        foreach (var factor in new[] { 0, 0.5 - 1e-9 })
        {
            var options = Valid(backend);
            options.ClockDriftFactor = factor;
            options.Validate();
            // Even the widest factor leaves the longest lease a margin shorter than itself.
            Assert.InRange(options.DriftMarginFor(LockOptions.MaximumTtl), TimeSpan.Zero, LockOptions.MaximumTtl / 2 + TimeSpan.FromMilliseconds(2));
        }
        foreach (var factor in new[] { -1e-9, 0.5, 1, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var options = Valid(backend);
            options.ClockDriftFactor = factor;
            Refused(options, "ClockDriftFactor", "at least 0 and less than 0.5");
        }
        var noClock = Valid(backend);
        noClock.TimeProvider = null!;
        Assert.Throws<ArgumentNullException>(noClock.Validate);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("postgres")]
    [InlineData("redlock")]
    public void The_waiter_lease_runs_from_300_ms_to_10_minutes(string backend)
    {
        static void Set(LockOptions options, TimeSpan lease)
        {
            switch (options)
            {
                case RedisLockOptions redis: redis.WaiterLease = lease; break;
                case PostgresLockOptions postgres: postgres.WaiterLease = lease; break;
                case RedLockOptions redLock: redLock.WaiterLease = lease; break;
            }
        }
        foreach (var lease in new[] { TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(10) })
        {
            var options = Valid(backend);
            Set(options, lease);
            options.Validate();
        }
        foreach (var lease in new[] { TimeSpan.FromMilliseconds(300) - Tick, TimeSpan.FromMinutes(10) + Tick, TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var options = Valid(backend);
            Set(options, lease);
            Refused(options, "WaiterLease", "between 300 ms and 10 minutes");
        }
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("redlock")]
    public void Redis_key_prefixes_are_0_to_64_characters(string backend)
    {
        static LockOptions With(string backend, string? prefix)
        {
            var options = Valid(backend);
            if (options is RedisLockOptions redis)
                redis.KeyPrefix = prefix!;
            else
                ((RedLockOptions)options).KeyPrefix = prefix!;
            return options;
        }
        With(backend, "").Validate();
        With(backend, new string('k', 64)).Validate();
        Refused(With(backend, new string('k', 65)), "KeyPrefix", "at most 64 characters");
        Refused(With(backend, null), "KeyPrefix", "at most 64 characters");
    }

    [Fact]
    public void The_redis_database_is_minus_1_or_a_database_number()
    {
        foreach (var database in new[] { -1, 0, 15 })
            new RedisLockOptions { Configuration = "127.0.0.1:1", Database = database }.Validate();
        foreach (var database in new[] { -2, int.MinValue })
            Refused(new RedisLockOptions { Configuration = "127.0.0.1:1", Database = database }, "Database", "-1");
    }

    [Fact]
    public void PostgreSQL_schema_and_table_names_are_1_to_30_plain_lowercase_characters()
    {
        foreach (var name in new[] { "a", "_", new string('t', 30), "coord_locks_2" })
        {
            new PostgresLockOptions { ConnectionString = "Host=127.0.0.1", Schema = name }.Validate();
            new PostgresLockOptions { ConnectionString = "Host=127.0.0.1", TableName = name }.Validate();
        }
        foreach (var name in new[] { "", new string('t', 31), "1table", "Locks", "coord-locks", "a\"b", null })
        {
            Refused(new PostgresLockOptions { ConnectionString = "Host=127.0.0.1", Schema = name! }, "Schema", "1 to 30 characters");
            Refused(new PostgresLockOptions { ConnectionString = "Host=127.0.0.1", TableName = name! }, "TableName", "1 to 30 characters");
        }
    }

    [Fact]
    public void Etcd_attempt_timeouts_run_from_50_ms_to_1_minute_and_prefixes_to_256_characters()
    {
        static EtcdLockOptions Etcd() => new() { Endpoints = ["http://127.0.0.1:1"] };
        foreach (var timeout in new[] { TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1) })
        {
            var options = Etcd();
            options.AttemptTimeout = timeout;
            options.Validate();
        }
        foreach (var timeout in new[] { TimeSpan.FromMilliseconds(50) - Tick, TimeSpan.FromMinutes(1) + Tick, TimeSpan.MinValue, TimeSpan.MaxValue })
        {
            var options = Etcd();
            options.AttemptTimeout = timeout;
            Refused(options, "AttemptTimeout", "between 50 ms and 1 minute");
        }
        foreach (var prefix in new[] { "", new string('p', 256) })
        {
            var options = Etcd();
            options.Prefix = prefix;
            options.Validate();
        }
        var tooLong = Etcd();
        tooLong.Prefix = new string('p', 257);
        Refused(tooLong, "Prefix", "at most 256 characters");
        Refused(new EtcdLockOptions(), "Endpoints", "at least one");
        Refused(new EtcdLockOptions { Endpoints = ["127.0.0.1:2379"] }, "Endpoints", "http:// or https://");
        Refused(new EtcdLockOptions { Endpoints = ["http://127.0.0.1:1", "https://127.0.0.1:2"] }, "Endpoints", "all http:// or all https://");
    }

    [Fact]
    public void ZooKeeper_minimum_sessions_run_from_100_ms_to_1_day_and_never_above_the_default_ttl()
    {
        static ZooKeeperLockOptions ZooKeeper(TimeSpan minimumSession, TimeSpan defaultTtl)
            => new() { ConnectString = "127.0.0.1:1", MinimumSessionTimeout = minimumSession, DefaultTtl = defaultTtl };
        ZooKeeper(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)).Validate();
        ZooKeeper(LockOptions.MaximumTtl, LockOptions.MaximumTtl).Validate();
        foreach (var session in new[] { TimeSpan.FromMilliseconds(100) - Tick, LockOptions.MaximumTtl + Tick, TimeSpan.Zero, TimeSpan.MinValue, TimeSpan.MaxValue })
            Refused(ZooKeeper(session, TimeSpan.FromSeconds(15)), "MinimumSessionTimeout", "from 100 ms");
        Refused(ZooKeeper(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4) - Tick), "DefaultTtl", "at least MinimumSessionTimeout");
        Refused(new ZooKeeperLockOptions { ConnectString = "127.0.0.1:1", Root = "/" }, "Root", "below '/'");
    }

    [Fact]
    public void RedLock_master_timeouts_run_from_5_ms_to_30_s_and_each_master_votes_once()
    {
        static RedLockOptions RedLock(TimeSpan timeout) => new() { Masters = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], MasterTimeout = timeout };
        RedLock(TimeSpan.FromMilliseconds(5)).Validate();
        RedLock(TimeSpan.FromSeconds(30)).Validate();
        foreach (var timeout in new[] { TimeSpan.FromMilliseconds(5) - Tick, TimeSpan.FromSeconds(30) + Tick, TimeSpan.MinValue, TimeSpan.MaxValue })
            Refused(RedLock(timeout), "MasterTimeout", "between 5 ms and 30 s");
        new RedLockOptions { Masters = ["127.0.0.1:1"] }.Validate();
        Refused(new RedLockOptions(), "Masters", "at least one");
        Refused(new RedLockOptions { Masters = ["127.0.0.1:1", "127.0.0.1:1"] }, "Masters", "the same master twice");
    }
}
