using Coord.Stress.Cli;
using Coord.Stress.Engine;
using Coord.Stress.IdScenarios;
using Coord.Stress.Reports;
using Coord.Stress.Servers;
using Coord.Stress.Targets;

namespace Coord.Locks.Tests.Stress;

/// <summary>The runner's plan, ID scenarios and report files, without lock servers.</summary>
public sealed class StressReportTests
{
    [Fact]
    public void Default_plan_compares_every_backend_and_peer_uncontended_and_at_32_clients_on_one_name()
    {
        var scenarios = LockPlanBuilder.Build(new LocksOptions());

        foreach (var target in LockTargetCatalog.Names)
        {
            Assert.Contains(scenarios, s => s.Target == target && s.Load.Copies == 1 && s.Names == 1);
            Assert.Contains(scenarios, s => s.Target == target && s.Load.Copies == 32 && s.Names == 1);
        }
        Assert.Contains("dlock-redis", LockTargetCatalog.PeerNames);
        Assert.Contains("dlock-postgres", LockTargetCatalog.PeerNames);
        Assert.Contains("redlock-net", LockTargetCatalog.PeerNames);
    }

    [Fact]
    public void Bad_durations_and_counts_are_rejected_with_what_is_allowed()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), CliValues.ParseDuration("250ms"));
        Assert.Equal(TimeSpan.FromSeconds(5), CliValues.ParseDuration("5s"));
        Assert.Contains("ms, s, m or h", Assert.Throws<ArgumentException>(() => CliValues.ParseDuration("five")).Message);
        Assert.Contains("positive whole numbers", Assert.Throws<ArgumentException>(() => CliValues.IntList("1,0", "--clients")).Message);
        Assert.Contains("Unknown backend", Assert.Throws<ArgumentException>(() => LockPlanBuilder.ResolveBackends(["nope"])).Message);
    }

    [Fact]
    public async Task Every_id_generator_issues_without_duplicates_from_two_threads()
    {
        await using var servers = new StressServers(new StressEndpoints());
        foreach (var name in IdGeneratorCatalog.Names)
        {
            await using var source = await IdGeneratorCatalog.CreateAsync(name, servers, CancellationToken.None);
            var stats = await IdScenarioRunner.RunAsync(source, threads: 2, TimeSpan.FromMilliseconds(300), maxKept: 2_000_000, CancellationToken.None);

            Assert.True(stats.Ids > 0, $"{name}: no IDs");
            Assert.Equal(0, stats.Duplicates);
            Assert.Empty(stats.Errors);
        }
    }

    [Fact]
    public async Task Duplicate_check_finds_a_generator_that_repeats()
    {
        long n = 0;
        var repeating = new IdSource("repeats", () => IdSource.From(Interlocked.Increment(ref n) / 2));

        var stats = await IdScenarioRunner.RunAsync(repeating, threads: 1, TimeSpan.FromMilliseconds(100), maxKept: 100_000, CancellationToken.None);

        Assert.True(stats.Duplicates > 0);
    }

    [Fact]
    public async Task Report_folder_holds_markdown_self_contained_html_csv_and_json()
    {
        var report = new RunReport { RunId = "test", StartedUtc = DateTimeOffset.UtcNow, CommandLine = "locks" };
        report.Locks.Add(new LockScenarioStats
        {
            Scenario = "redis-c32-n1", Target = "redis", Library = "Coord", Clients = 32, Names = 1, Processes = 1, ElapsedSeconds = 1,
            Acquisitions = 10, AcquisitionsPerClient = [5, 5], OverlapViolations = 1,
        });
        var root = Path.Combine(Path.GetTempPath(), "coord-stress-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var folder = await ReportFolder.WriteAsync(report, root, CancellationToken.None);

            Assert.Contains("redis-c32-n1", await File.ReadAllTextAsync(Path.Combine(folder, "report.md")));
            var html = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));
            Assert.Contains("<svg", html);
            Assert.DoesNotContain("<script", html);
            Assert.DoesNotContain("https://", html);
            Assert.StartsWith("scenario,", await File.ReadAllTextAsync(Path.Combine(folder, "locks.csv")));
            Assert.Contains("\"overlapViolations\": 1", await File.ReadAllTextAsync(Path.Combine(folder, "report.json")));
            Assert.Equal(1, report.ExitCode);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
