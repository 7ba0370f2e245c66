using Coord.Stress.Engine;
using Coord.Stress.Targets.Elections;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Locks.Tests.Stress;

/// <summary>
/// The <c>rwlocks</c> and <c>elections</c> scenarios of the stress runner: the checkers flag a writer beside
/// anyone, two leaders at once and terms that do not rise; every target runs clean under contention; and a
/// deliberately leaking target is caught through the whole runner.
/// </summary>
public sealed class ReaderWriterAndElectionStressTests(StressServersFixture fixture) : IClassFixture<StressServersFixture>
{
    public static TheoryData<string> ReaderWriterTargets() => new(ReaderWriterTargetCatalog.Catalog.Names);
    public static TheoryData<string> ElectionTargets() => new(ElectionTargetCatalog.Catalog.Names);

    [Fact]
    public void Reader_writer_monitor_allows_readers_together_and_counts_them()
    {
        var monitor = new ReaderWriterMonitor();
        monitor.Enter(write: false, fence: 1);
        monitor.Enter(write: false, fence: 3);
        monitor.Enter(write: false, fence: 2); // concurrent read grants may return out of order
        monitor.Exit(write: false);
        monitor.Exit(write: false);
        monitor.Exit(write: false);
        monitor.Enter(write: true, fence: 4); // everyone left before it: no violation
        monitor.Exit(write: true);
        monitor.Enter(write: false, fence: 5);

        Assert.Equal(0, monitor.Violations);
        Assert.Equal(0, monitor.FencesOutOfOrder);
        Assert.Equal(3, monitor.PeakReaders);
    }

    [Theory]
    [InlineData(false, true)] // a writer enters beside a reader
    [InlineData(true, false)] // a reader enters beside a writer
    [InlineData(true, true)] // a writer enters beside a writer
    public void Reader_writer_monitor_flags_a_writer_beside_anyone(bool firstWrites, bool secondWrites)
    {
        var monitor = new ReaderWriterMonitor();
        monitor.Enter(firstWrites, fence: null);
        monitor.Enter(secondWrites, fence: null);
        monitor.Exit(secondWrites);
        monitor.Exit(firstWrites);
        monitor.Enter(write: true, fence: null); // alone again: not another violation

        Assert.Equal(1, monitor.Violations);
    }

    [Fact]
    public void Reader_writer_monitor_flags_fences_that_do_not_rise_past_a_writer()
    {
        var monitor = new ReaderWriterMonitor();
        monitor.Enter(write: false, fence: 7);
        monitor.Exit(write: false);
        monitor.Enter(write: true, fence: 7); // a writer's token must be above every earlier grant's
        monitor.Exit(write: true);
        monitor.Enter(write: false, fence: 6); // a reader's above the last writer's

        Assert.Equal(0, monitor.Violations);
        Assert.Equal(2, monitor.FencesOutOfOrder);
    }

    [Fact]
    public void Election_monitor_accepts_successive_leaders_with_rising_terms()
    {
        var monitor = new ElectionMonitor();
        foreach (var term in new long[] { 1, 2, 10, long.MaxValue })
        {
            monitor.Elected(term);
            monitor.Resigning();
        }

        Assert.Equal(4, monitor.Turnovers);
        Assert.Equal(0, monitor.Overlaps);
        Assert.Equal(0, monitor.TermsNotRising);
    }

    [Theory]
    [InlineData(5L, 5L)] // two leaders in one term
    [InlineData(5L, 4L)] // a term going back
    [InlineData(long.MinValue, long.MinValue)]
    public void Election_monitor_flags_a_term_that_does_not_rise(long first, long second)
    {
        var monitor = new ElectionMonitor();
        monitor.Elected(first);
        monitor.Resigning();
        monitor.Elected(second);
        monitor.Resigning();

        Assert.Equal(0, monitor.Overlaps);
        Assert.Equal(1, monitor.TermsNotRising);
    }

    [Fact]
    public void Election_monitor_flags_two_leaders_at_once_even_with_rising_terms()
    {
        var monitor = new ElectionMonitor();
        monitor.Elected(1);
        monitor.Elected(2);
        monitor.Resigning();
        monitor.Resigning();
        monitor.Elected(3);

        Assert.Equal(1, monitor.Overlaps);
        Assert.Equal(0, monitor.TermsNotRising);
    }

    [Theory]
    [MemberData(nameof(ReaderWriterTargets))]
    public async Task Every_reader_writer_target_lets_readers_share_and_never_puts_a_writer_beside_anyone(string name)
    {
        await using var target = await ReaderWriterTargetCatalog.Catalog.CreateAsync(name, fixture.Servers, Settings(), CancellationToken.None);
        // Holds long enough that even the slowest target (Curator) has readers overlap.
        var stats = await ReaderWriterScenarioRunner.RunAsync(target, Scenario(clients: 6) with { Hold = TimeSpan.FromMilliseconds(20) }, RunId(), CancellationToken.None);

        Assert.True(stats.Reads > 0 && stats.Writes > 0, $"{name}: {stats.Reads} reads, {stats.Writes} writes");
        Assert.True(stats.PeakReaders > 1, $"{name}: readers never shared the lock (peak {stats.PeakReaders})");
        Assert.Equal(0, stats.Violations);
        Assert.Equal(0, stats.FencesOutOfOrder);
        Assert.Empty(stats.Errors);
        Assert.Equal(stats.Reads, stats.ReadWait.Count);
        Assert.Equal(stats.Writes, stats.WriteWait.Count);
    }

    [Theory]
    [MemberData(nameof(ElectionTargets))]
    public async Task Every_election_target_elects_one_leader_at_a_time_with_rising_terms(string name)
    {
        await using var target = await ElectionTargetCatalog.Catalog.CreateAsync(name, fixture.Servers, Settings(), CancellationToken.None);
        var stats = await ElectionScenarioRunner.RunAsync(target, Scenario(clients: 4), RunId(), CancellationToken.None);

        Assert.True(stats.Turnovers > 1, $"{name}: {stats.Turnovers} leaderships");
        Assert.True(stats.LastTerm > stats.FirstTerm);
        Assert.Equal(0, stats.Overlaps);
        Assert.Equal(0, stats.TermsNotRising);
        Assert.Empty(stats.Errors);
        Assert.Equal(stats.Turnovers, stats.CampaignWait.Count);
    }

    [Fact]
    public async Task Runner_catches_a_reader_writer_lock_that_puts_a_writer_beside_readers()
    {
        await using var real = await ReaderWriterTargetCatalog.Catalog.CreateAsync("redis", fixture.Servers, Settings(), CancellationToken.None);
        await using var target = new LeakingReaderWriterTarget(real, every: 2);
        var stats = await ReaderWriterScenarioRunner.RunAsync(target, Scenario(clients: 6) with { Hold = TimeSpan.FromMilliseconds(5) }, RunId(), CancellationToken.None);

        Assert.True(stats.Violations > 0, "a writer beside others must be counted");
    }

    [Fact]
    public async Task Runner_catches_an_election_with_two_leaders_at_once()
    {
        await using var real = await ElectionTargetCatalog.Catalog.CreateAsync("inmemory", fixture.Servers, Settings(), CancellationToken.None);
        await using var target = new LeakingElectionTarget(real, every: 2);
        var stats = await ElectionScenarioRunner.RunAsync(target, Scenario(clients: 4) with { Hold = TimeSpan.FromMilliseconds(5) }, RunId(), CancellationToken.None);

        Assert.True(stats.Overlaps > 0, "a second leader at once must be counted");
    }

    [Fact]
    public void Bad_input_is_refused_with_what_is_allowed()
    {
        Assert.Contains("from 0 (writers only) to 1 (readers only)", Assert.Throws<ArgumentException>((Scenario(1) with { ReadFraction = 1.01 }).Validate).Message);
        Assert.Contains("from 0", Assert.Throws<ArgumentException>((Scenario(1) with { ReadFraction = -0.01 }).Validate).Message);
        (Scenario(1) with { ReadFraction = 0 }).Validate();
        (Scenario(1) with { ReadFraction = 1 }).Validate();
        Assert.Contains("at least 1", Assert.Throws<ArgumentException>((Scenario(0)).Validate).Message);
        Assert.Contains("Known: all, coord, peers, inmemory, etcd, redis, postgres, zookeeper, curator-latch", Assert.Throws<ArgumentException>(() => ElectionTargetCatalog.Catalog.Resolve(["redlock"])).Message);
        Assert.Equal(["inmemory", "redis", "postgres", "etcd", "zookeeper"], ReaderWriterTargetCatalog.Catalog.Resolve(["coord", "redis"]));
        Assert.Equal(["dlock-redis-rw", "dlock-postgres-rw", "curator-rw"], ReaderWriterTargetCatalog.Catalog.Resolve(["peers"]));
    }

    private static PrimitiveScenario Scenario(int clients) => new()
    {
        Target = "",
        Clients = clients,
        Duration = TimeSpan.FromSeconds(1.5),
        Hold = TimeSpan.FromMilliseconds(2),
    };

    private static Coord.Stress.Targets.LockTargetCatalog.Settings Settings() => new($"stress:{RunId()}:", TimeSpan.FromMilliseconds(25));

    private static string RunId() => Guid.NewGuid().ToString("N")[..8];
}
